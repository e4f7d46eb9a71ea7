// The default workflow (workflows/ingest.asl.json, embedded) against the ingest contract.
#include "workflow/ingest_contract.h"

#include <cstdint>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "store/store.h"
#include "testing/inline_store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/default_workflow.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::Pair;

// A store whose Put fails with UNAVAILABLE a given number of times, then succeeds.
using FlakyStore = testing::InlineStore;

class DefaultWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore("memory:", options));
    RegisterBuiltinTasks(registry_, store_.get());
    ASSERT_OK_AND_ASSIGN(wf_, CompileText(DefaultIngestWorkflowText(), registry_));
  }
  void TearDown() override { store_->Close(); }

  IngestOutcome Run(const IngestInput& input) {
    return InterpretIngestResult(ExecuteAndWait(wf_, MakeIngestInput(input)));
  }

  common::ManualClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<store::Store> store_;
  TaskRegistry registry_;
  std::shared_ptr<const Workflow> wf_;
};

TEST_F(DefaultWorkflowTest, StoresValidRecordThenReplacesIt) {
  IngestOutcome first = Run({"Ann", "Ann1@example.com", "1234"});
  ASSERT_EQ(first.kind, IngestOutcome::Kind::kStored) << first.error << first.cause;
  EXPECT_TRUE(first.created);
  EXPECT_EQ(json::value(first.item), json::parse(R"({"id":"Ann1@example.com","user_name":"Ann",
      "email":"Ann1@example.com","pincode":"1234","created_at":"2023-11-14T22:13:20.000Z",
      "updated_at":"2023-11-14T22:13:20.000Z"})"));
  clock_.Advance(absl::Seconds(5));
  IngestOutcome second = Run({"Bob", "Ann1@example.com", "654321"});
  ASSERT_EQ(second.kind, IngestOutcome::Kind::kStored);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.item.at("user_name"), "Bob");
  EXPECT_EQ(second.item.at("created_at"), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(second.item.at("updated_at"), "2023-11-14T22:13:25.000Z");
}

struct RejectCase {
  IngestInput input;
  std::vector<std::string> failing;  // exactly these fields, in workflow order
};

class DefaultWorkflowRejectTest : public DefaultWorkflowTest,
                                  public ::testing::WithParamInterface<RejectCase> {};

TEST_P(DefaultWorkflowRejectTest, NamesExactlyTheFailingFields) {
  IngestOutcome o = Run(GetParam().input);
  ASSERT_EQ(o.kind, IngestOutcome::Kind::kRejected) << o.error << ": " << o.cause;
  std::vector<std::string> names;
  for (const auto& [field, reason] : o.fields) {
    names.push_back(field);
    EXPECT_FALSE(reason.empty());
  }
  EXPECT_EQ(names, GetParam().failing);
  EXPECT_FALSE(o.message.empty());
}

const std::string k257(257, 'x');

INSTANTIATE_TEST_SUITE_P(
    Table, DefaultWorkflowRejectTest,
    ::testing::Values(RejectCase{{std::nullopt, "a@b.com", "1234"}, {"user_name"}},
                      RejectCase{{"", "a@b.com", "1234"}, {"user_name"}},
                      RejectCase{{k257, "a@b.com", "1234"}, {"user_name"}},
                      RejectCase{{"a\tb", "a@b.com", "1234"}, {"user_name"}},
                      RejectCase{{"Ann", std::nullopt, "1234"}, {"email"}},
                      RejectCase{{"Ann", "a@b.com", std::nullopt}, {"pincode"}},
                      // One of email/pincode invalid goes to an admin, unless the user name
                      // is invalid too.
                      RejectCase{{"", "1a@b.com", "1234"}, {"user_name", "email"}},
                      RejectCase{{"a\x01", "a@b.com", "12"}, {"user_name", "pincode"}},
                      RejectCase{{"Ann", "bad", "12"}, {"email", "pincode"}},
                      RejectCase{{std::nullopt, std::nullopt, std::nullopt},
                                 {"user_name", "email", "pincode"}}));

TEST_F(DefaultWorkflowTest, ReasonsArePersonReadable) {
  IngestOutcome o = Run({std::nullopt, "x", "12"});
  ASSERT_EQ(o.kind, IngestOutcome::Kind::kRejected);
  EXPECT_THAT(o.fields, ElementsAre(Pair("user_name", "is required"),
                                    Pair("email", ::testing::HasSubstr("name@example.com")),
                                    Pair("pincode", "must be 4 to 6 digits")));
}

TEST_F(DefaultWorkflowTest, MaximumLengthUserNameIsAccepted) {
  std::string name;
  for (int i = 0; i < 256; ++i) name += "é";  // 256 code points, 512 bytes
  EXPECT_EQ(Run({name, "a@b.com", "1234"}).kind, IngestOutcome::Kind::kStored);
}

TEST_F(DefaultWorkflowTest, PerFieldValidityStaysVisibleInTheStateData) {
  // Later features route on $.checks (e.g. exactly one of email/pincode invalid); a run that
  // ends at a Pass after the checks shows them.
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  json::value def = json::parse(DefaultIngestWorkflowText());
  def.as_object()["States"].as_object()["Validation Failed"] = json::parse(R"({"Type":"Succeed"})");
  def.as_object()["States"].as_object()["Rejected"].as_object().erase("Parameters");
  ASSERT_OK_AND_ASSIGN(auto wf, Compile(def, registry));
  ExecutionResult r = ExecuteAndWait(wf, MakeIngestInput({"Ann", "bad", "1"}));
  ASSERT_TRUE(r.succeeded) << r.failure.cause;
  EXPECT_EQ(r.output.at("checks").at("email").at("valid"), false);
  EXPECT_EQ(r.output.at("checks").at("pincode").at("valid"), false);
  r = ExecuteAndWait(wf, MakeIngestInput({"", "a@b.com", "1"}));
  ASSERT_TRUE(r.succeeded) << r.failure.cause;
  EXPECT_EQ(r.output.at("checks").at("email").at("valid"), true);
  EXPECT_EQ(r.output.at("checks").at("pincode").at("valid"), false);
}

TEST(IngestContractTest, StoreUnavailableIsRetriedTwice) {
  common::ManualClock clock(absl::FromUnixSeconds(0));
  ManualScheduler scheduler(&clock);
  for (int failures : {2, 3}) {
    FlakyStore store(failures);
    TaskRegistry registry;
    RegisterBuiltinTasks(registry, &store);
    ASSERT_OK_AND_ASSIGN(auto wf, CompileText(DefaultIngestWorkflowText(), registry));
    ExecutionResult result;
    Execute(wf, MakeIngestInput({"Ann", "a@b.com", "1234"}),
            {.clock = &clock, .scheduler = &scheduler},
            [&](ExecutionResult r) { result = std::move(r); });
    while (scheduler.AdvanceToNext()) {
    }
    IngestOutcome o = InterpretIngestResult(result);
    if (failures == 2) {
      EXPECT_EQ(o.kind, IngestOutcome::Kind::kStored);
      EXPECT_EQ(store.puts, 3);
    } else {
      EXPECT_EQ(o.kind, IngestOutcome::Kind::kInternalError);
      EXPECT_EQ(o.error, "Store.Unavailable");
      EXPECT_EQ(o.cause, "disk full");
      EXPECT_EQ(store.puts, 3);  // the first call and MaxAttempts (2) retries
    }
  }
}

TEST(IngestContractTest, InterpretsUnexpectedResultsAsInternalErrors) {
  ExecutionResult ok;
  ok.succeeded = true;
  ok.output = json::parse(R"({"something":"else"})");
  EXPECT_EQ(InterpretIngestResult(ok).kind, IngestOutcome::Kind::kInternalError);
  ExecutionResult plain;
  plain.failure = {"ValidationFailed", "plain text"};
  IngestOutcome o = InterpretIngestResult(plain);
  EXPECT_EQ(o.kind, IngestOutcome::Kind::kRejected);
  EXPECT_EQ(o.message, "plain text");
  EXPECT_TRUE(o.fields.empty());
}

TEST(IngestContractTest, MakeIngestInputUsesNullForAbsent) {
  EXPECT_EQ(MakeIngestInput({"a", std::nullopt, ""}),
            json::parse(R"({"user_name":"a","email":null,"pincode":"",
                            "approval_timeout_seconds":31536000})"));
}

TEST(FieldRulesTest, ListsTheDefaultRules) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(DefaultIngestWorkflowText(), registry));
  std::vector<FieldRule> rules = FieldRules(*wf);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].field, "user_name");
  EXPECT_EQ(rules[0].min_length, 1);
  EXPECT_EQ(rules[0].max_length, 256);
  EXPECT_FALSE(rules[0].allow_control_characters);
  EXPECT_FALSE(rules[0].pattern.has_value());
  EXPECT_EQ(rules[1].field, "email");
  EXPECT_EQ(rules[1].pattern, "[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\\.com");
  EXPECT_EQ(rules[2].field, "pincode");
  EXPECT_EQ(rules[2].pattern, "[0-9]{4,6}");
  EXPECT_EQ(rules[2].state, "CheckPincode");
  for (const FieldRule& r : rules) EXPECT_TRUE(r.required);
}

}  // namespace
}  // namespace ingestd::workflow
