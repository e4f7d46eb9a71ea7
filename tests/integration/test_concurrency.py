"""Many clients at once: distinct items all stored; one email from many clients, one item."""

import collections
import concurrent.futures
import threading
import unittest

import ingestd_harness as h

CLIENTS = 32
ITEMS_PER_CLIENT = 15
SAME_EMAIL_ROUNDS = 4


class ConcurrencyTest(h.ServerTestCase):

    def test_distinct_items_from_32_keepalive_clients(self):
        barrier = threading.Barrier(CLIENTS, timeout=30)

        def run(worker):
            client = self.server.client(timeout=30)
            sent, statuses = [], []
            try:
                warm = client.request("GET", "/healthz")  # the connection exists before the race
                if warm.status != 200:
                    raise AssertionError(warm.describe())
                barrier.wait()
                for i in range(ITEMS_PER_CLIENT):
                    email = h.unique_email(f"w{'abcdefghijklmnopqrstuvwxyzABCDEF'[worker]}")
                    name, pin = f"worker {worker} item {i}", f"{1000 + worker * 100 + i}"
                    resp = client.ingest(name, email, pin, method=("GET", "PUT", "POST")[i % 3])
                    statuses.append((resp.status, resp.describe(200)))
                    sent.append((name, email, pin))
            finally:
                client.close()
            return sent, statuses

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            results = [f.result(timeout=120) for f in
                       [pool.submit(run, w) for w in range(CLIENTS)]]

        bad = [d for _, statuses in results for s, d in statuses if s != 201]
        self.assertEqual(bad, [], f"{len(bad)} ingests did not answer 201")
        listed = {item["id"]: item for item in self.server.list_all()}
        sent = [s for batch, _ in results for s in batch]
        self.assertEqual(len(sent), CLIENTS * ITEMS_PER_CLIENT)
        for name, email, pin in sent:
            self.assertIn(email, listed)
            self.assertItem(listed[email], name, email, pin)

    def test_same_email_from_many_clients_is_one_item(self):
        for round_ in range(SAME_EMAIL_ROUNDS):
            email = h.unique_email("same")
            barrier = threading.Barrier(CLIENTS, timeout=30)

            def run(worker):
                client = self.server.client(timeout=30)
                try:
                    warm = client.request("GET", "/healthz")
                    if warm.status != 200:
                        raise AssertionError(warm.describe())
                    barrier.wait()
                    resp = client.ingest(f"client {worker}", email, "4321",
                                         method=("GET", "POST")[worker % 2])
                    return resp.status, resp
                finally:
                    client.close()

            with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
                answers = [f.result(timeout=60) for f in
                           [pool.submit(run, w) for w in range(CLIENTS)]]
            counts = collections.Counter(status for status, _ in answers)
            self.assertEqual(counts, {201: 1, 200: CLIENTS - 1},
                             f"round {round_}: {[r.describe(200) for _, r in answers][:3]}")
            created = {r.json()["created_at"] for _, r in answers}
            self.assertEqual(len(created), 1, f"round {round_}: created_at differs: {created}")
            items = [i for i in self.server.list_all() if i["id"] == email]
            self.assertEqual(len(items), 1, items)
            self.assertIn(items[0]["user_name"], {f"client {w}" for w in range(CLIENTS)})
            self.assertEqual(items[0]["created_at"], created.pop())


if __name__ == "__main__":
    unittest.main()
