"""The baseline for bench/crawl.py: a generic same-site crawler that follows every link.

It recognises a report by its page title, as the guided spider does, so the two differ only
in which links they follow.
"""

from __future__ import annotations

from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

from monitor.report.classify import classify_title


class GenericSpider(CrawlSpider):
    name = "generic"
    # every link; OffsiteMiddleware keeps it on 127.0.0.1 (LinkExtractor domains would include the port)
    rules = (Rule(LinkExtractor(), callback="parse_item", follow=True),)

    def __init__(self, urls: str = "", **kwargs) -> None:
        self.start_urls = [u for u in urls.split(",") if u]
        self.allowed_domains = ["127.0.0.1"]
        super().__init__(**kwargs)

    def parse_item(self, response):
        title = (response.css('meta[name="ArticleTitle"]::attr(content)').get()
                 or response.css("h1::text").get() or response.css("title::text").get() or "")
        if classify_title(title).is_report:
            yield {"url": response.url, "title": title}
