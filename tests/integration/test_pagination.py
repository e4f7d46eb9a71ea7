"""Walking the list: Link rel="next" pages (JSON) and the HTML next-page links."""

import concurrent.futures
import re
import unittest

import ingestd_harness as h
from test_api import parse_html

ITEMS = 300  # 42 full pages of 7 and a last page of 6
EMAIL_RE = re.compile(r"pg[0-9a-z]+@pagination\.com")


class PaginationTest(h.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emails = [f"pg{i:05d}x{h.unique_email('z').split('@')[0]}@pagination.com"
                      for i in range(ITEMS)]

        def ingest_slice(emails):
            client = cls.server.client()
            try:
                for email in emails:
                    resp = client.ingest(f"user {email[:7]}", email, "1234")
                    if resp.status != 201:
                        raise AssertionError(f"setup ingest failed: {resp.describe()}")
            finally:
                client.close()

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for f in [pool.submit(ingest_slice, cls.emails[i::8]) for i in range(8)]:
                f.result(timeout=120)

    def walk(self, first_target, page_size):
        """All pages from first_target; checks sizes and the Link of the last page."""
        pages, target = [], first_target
        while True:
            self.assertLess(len(pages), ITEMS + 2, "the Link chain does not end")
            items, resp = self.server.list_page(target)
            pages.append(items)
            link = resp.next_link()
            self.assertLessEqual(len(items), page_size, resp.describe(300))
            if link is None:
                return pages
            self.assertEqual(len(items), page_size,
                             f"a page before the last one is not full: {resp.describe(300)}")
            target = h.relative_target(self.server.base_url + target, link)

    def test_walk_limit_7_every_item_once_in_order(self):
        pages = self.walk("/?limit=7", 7)
        self.assertEqual(len(pages), -(-ITEMS // 7))
        self.assertEqual(len(pages[-1]), ITEMS % 7)
        ids = [item["id"] for page in pages for item in page]
        self.assertEqual(len(ids), len(set(ids)), "an item appeared twice")
        self.assertEqual(ids, sorted(ids), "pages are not in ascending id order")
        self.assertEqual(set(ids), set(self.emails))
        for page in pages:
            for item in page:
                self.assertItem(item, f"user {item['id'][:7]}", item["id"], "1234")

    def test_last_full_page_has_no_link(self):
        # 300 = 6 * 50: a keyset page that happens to end exactly at the last item must not
        # point to an empty page ("the last page has none").
        pages = self.walk("/?limit=50", 50)
        self.assertEqual([len(p) for p in pages], [50] * 6)
        self.assertEqual({i["id"] for p in pages for i in p}, set(self.emails))

    def test_default_limit_is_100(self):
        items, resp = self.server.list_page("/")
        self.assertEqual(len(items), 100)
        self.assertIsNotNone(resp.next_link(), resp.describe(300))

    def test_limit_1000_is_one_page(self):
        items, resp = self.server.list_page("/?limit=1000")
        self.assertEqual(len(items), ITEMS)
        self.assertIsNone(resp.next_link(), resp.describe(300))

    def test_html_next_links(self):
        """A browser walks the HTML pages through their next links."""
        target, seen, pages = "/?format=html&limit=50", [], 0
        while target is not None:
            pages += 1
            self.assertLessEqual(pages, 10, "the HTML next links do not end")
            resp = self.server.get(target, headers={"Accept": h.BROWSER_ACCEPT})
            self.assertEqual(resp.status, 200, resp.describe(300))
            self.assertEqual(resp.content_type, "text/html", resp.describe(300))
            parsed = parse_html(resp.text)
            on_page = sorted(set(EMAIL_RE.findall("\n".join(parsed.text))))
            self.assertEqual(len(on_page), 50, f"page {pages}: {len(on_page)} items shown")
            seen.extend(on_page)
            target = self.html_next(parsed, target)
        self.assertEqual(pages, 6)
        self.assertEqual(sorted(seen), sorted(self.emails))

    def html_next(self, parsed, current):
        """The target of the page's next link: an <a>/<link> with rel~=next, else an <a> whose
        href carries a cursor and whose text/label says next."""
        candidates = [l for l in parsed.links
                      if "next" in (l.get("rel") or "").lower().split() and l.get("href")]
        candidates += [
            l for l in parsed.links if l.get("href") and "cursor=" in l["href"] and any(
                w in (l["_text"] + (l.get("aria-label") or "") + (l.get("title") or "")).lower()
                for w in ("next", "more", "›", "→", "»"))]
        if not candidates:
            return None
        return h.relative_target(self.server.base_url + current, candidates[0]["href"])


if __name__ == "__main__":
    unittest.main()
