"""newscrawl's downloader middlewares: page budgets, redirect rules, robots.txt Crawl-delay and
Retry-After, the parts of a polite and bounded crawl that Scrapy leaves out."""
