"""Write the example training corpus: four invented news sites, three stories each, laid out like wcxb-dev.

    python examples/build_corpus.py            # rewrites examples/news-sites/

Every page is a story wrapped in the clutter storyfilter learns to drop (navigation,
share bar, "Recommended" teasers with other stories' headlines, related links,
newsletter box, footer), each site in its own template. The gold text
(``ground-truth/ID.json``, field ``ground_truth.main_content``) is the headline and
the story's paragraphs. All text here was written for this corpus.
"""
from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent / "news-sites"

STORIES = [
    ("Harbour wall finished before the spring tides",
     ["The new harbour wall at Eastmouth was finished on Friday, three months after the January storms tore "
      "a forty-metre gap in the old one and flooded the fish market.",
      "The harbour board said the wall stands half a metre higher than before and is built on piles driven "
      "twelve metres into the rock, so it should hold for fifty years.",
      "Fishermen who had moored their boats upriver since the winter began bringing them back on Saturday "
      "morning, and the market will reopen on Monday."]),
    ("Village library keeps its doors open with volunteer rota",
     ["Hallow Green's library, due to close at the end of the month, will stay open after forty residents "
      "signed up to run it in four-hour shifts.",
      "The county council agreed to keep paying for the building and its heating for two more years while "
      "the volunteers raise money for new books.",
      "The oldest volunteer, a retired headteacher of eighty-one, said she had borrowed her first book there "
      "in 1951 and intends to stamp a great many more."]),
    ("Night buses return to the northern routes",
     ["Night buses will run again on the three northern routes from next week, two years after they were cut "
      "to save money.",
      "The transport authority said passenger numbers on the evening services had grown by a third, mostly "
      "hospital staff and people working late shifts in the city centre.",
      "The buses will leave the central station every forty minutes between midnight and five in the morning, "
      "and tickets bought for the day will still be valid."]),
    ("Orchard planted on the old railway sidings",
     ["Two hundred apple and pear trees were planted on Sunday on the disused railway sidings behind "
      "Mill Street, a plot that had been fenced off for thirty years.",
      "The community trust that bought the land last year chose old local varieties, some of them grown from "
      "cuttings taken in the gardens of the terraced houses nearby.",
      "The first fruit is expected in three years; until then the trust will hold a picnic in the orchard "
      "every summer and keep the paths open to walkers."]),
    ("Ferry timetable changed after engine trouble",
     ["The island ferry will sail twice a day instead of four times until the end of the month while one of "
      "its two engines is repaired.",
      "The operator said a cracked cylinder head was found during a routine inspection and that a new part is "
      "being made in a workshop on the mainland.",
      "Islanders with hospital appointments can book a seat on the morning crossing in advance, and the "
      "lifeboat crew has offered to help in an emergency."]),
    ("School choir wins the regional festival",
     ["The choir of St Anne's primary school won the regional schools festival on Saturday with a programme "
      "of folk songs arranged by its music teacher.",
      "The thirty-two singers, aged seven to eleven, had rehearsed every lunchtime since September and raised "
      "the money for their coach by selling cakes at the school gate.",
      "They will sing at the national final in Cardiff in June, the first time a school from the valley has "
      "reached it in twenty years."]),
    ("Flood defences tested as river rises",
     ["The new flood barrier on the River Lune was closed for the first time on Tuesday night as the water "
      "rose to within a metre of the quay.",
      "Engineers watched the gates through the night and said they held without a leak, while pumps moved "
      "the water from the streets behind them back into the river.",
      "About two hundred homes on the riverside, flooded three times in the last ten years, stayed dry, "
      "and residents gathered on the bridge in the morning to thank the crew."]),
    ("Market square to lose its car park",
     ["Cars will no longer park in the market square from the autumn, the town council decided after a "
      "debate that lasted most of Wednesday evening.",
      "The square will be paved again with the old stone setts found under the tarmac, and stalls will be "
      "allowed to trade there six days a week instead of two.",
      "Traders were divided: some fear losing customers who drive in from the villages, others say the "
      "crowds on market days show that people will walk from the car park by the station."]),
    ("Retired engineer rebuilds the town clock",
     ["The clock on the town hall, silent since a lightning strike in 2009, chimed again at noon on Thursday "
      "after a retired engineer spent two winters rebuilding its mechanism.",
      "He cut the worn gear wheels by hand in his garage from drawings found in the council archive, and "
      "replaced the weights with ones cast at a foundry in the next county.",
      "The council has asked him to train two apprentices so that the clock is wound and oiled every week "
      "when he is no longer able to climb the tower."]),
    ("Wetland boardwalk reopens after repairs",
     ["The boardwalk across Fenmoor wetland reopened on Saturday after a year of repairs to the timber "
      "supports that had rotted in the peat.",
      "Volunteers replaced more than six hundred planks and built two new hides where visitors can watch "
      "the herons and marsh harriers without disturbing them.",
      "The reserve's warden said bird numbers had risen while the path was closed and asked walkers to keep "
      "dogs on leads during the nesting season."]),
    ("Hospital car park charges scrapped for night staff",
     ["Nurses, porters and cleaners working night shifts at the General Hospital will no longer pay to "
      "park from the first of next month.",
      "The hospital trust said the charges had brought in less than the cost of collecting them at night, "
      "and that staff had complained of walking to the bus stop alone in the dark.",
      "Visitors will still pay during the day, but the first half hour will be free so that people dropping "
      "off patients are not charged."]),
    ("Grain mill turns again after sixty years",
     ["The water mill at Ashford ground its first sack of flour in sixty years on Sunday, watched by a crowd "
      "that filled the lane down to the river.",
      "A charity bought the derelict building four years ago and rebuilt the wheel, the sluice gates and the "
      "millstones with grants and the help of a millwright from the Netherlands.",
      "The flour will be sold in the mill's shop and to two bakeries in the town, and school groups will be "
      "able to visit on weekday mornings."]),
]

SITES = [
    ("coast-times", "https://www.coast-times.example/news/{slug}", "ct"),
    ("valley-post", "https://valleypost.example/{slug}.html", "vp"),
    ("northern-echoes", "https://news.northern-echoes.example/local/{slug}/", "ne"),
    ("river-gazette", "https://www.river-gazette.example/stories/{slug}", "rg"),
]


def slug(title: str) -> str:
    return "-".join(title.lower().split()[:5])


def teasers(index: int, count: int = 4) -> list[str]:
    return [STORIES[(index + k) % len(STORIES)][0] for k in range(1, count + 1)]


def coast_times(title: str, paragraphs: list[str], others: list[str]) -> str:
    items = "".join(f'<li class="teaser"><a href="/news/{slug(t)}">{html.escape(t)}</a></li>' for t in others)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | Coast Times'
            f'</title></head><body><header><a href="/" class="logo">Coast Times</a><nav class="main-nav"><ul>'
            f'<li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather'
            f'</a></li></ul></nav></header><main><article class="story"><h1>{html.escape(title)}</h1>'
            f'<div class="byline">By our harbour reporter</div><div class="share-bar">Share on Facebook '
            f'Share by email</div><div class="story-body">{body}</div></article><aside class="recommended">'
            f'<h2>Recommended for you</h2><ul>{items}</ul></aside></main><footer>Copyright 2026 Coast Times. '
            f'<a href="/privacy">Privacy</a> <a href="/contact">Contact us</a></footer></body></html>')


def valley_post(title: str, paragraphs: list[str], others: list[str]) -> str:
    links = "".join(f'<div class="card"><a href="/{slug(t)}.html"><span class="card-title">{html.escape(t)}'
                    f'</span></a></div>' for t in others)
    body = "".join(f'<p class="para">{html.escape(p)}</p>' for p in paragraphs)
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<title>{html.escape(title)}</title></head><body><div id="top"><div class="menu"><a href="/">Home</a> | '
            f'<a href="/local">Local</a> | <a href="/events">Events</a></div></div><div id="content">'
            f'<div class="headline"><h1>{html.escape(title)}</h1></div><div class="text">{body}</div>'
            f'<div class="newsletter"><h3>Get the Valley Post every morning</h3><p>Sign up to our free newsletter'
            f'</p><button>Subscribe</button></div><div class="more-stories"><h3>More from the Valley Post</h3>'
            f'{links}</div></div><div id="bottom">Valley Post Ltd. All rights reserved.</div></body></html>')


def northern_echoes(title: str, paragraphs: list[str], others: list[str]) -> str:
    related = "".join(f'<li><a href="/local/{slug(t)}/">{html.escape(t)}</a></li>' for t in others[:3])
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head><body><div class="cookie-banner">We use cookies to improve your experience. <a href="/cookies">'
            f'Accept</a></div><nav class="breadcrumbs"><a href="/">Northern Echoes</a> &gt; <a href="/local">Local'
            f'</a></nav><section class="article"><header><h1 class="article-title">{html.escape(title)}</h1>'
            f'<time>Published this morning</time></header><div class="article-content">{body}</div>'
            f'<div class="tags">Tags: <a href="/t/local">local</a> <a href="/t/community">community</a></div>'
            f'</section><section class="related-articles"><h2>Related articles</h2><ul>{related}</ul></section>'
            f'<footer class="site-footer"><p>Northern Echoes, 12 Quay Street</p><p><a href="/terms">Terms</a></p>'
            f'</footer></body></html>')


def river_gazette(title: str, paragraphs: list[str], others: list[str]) -> str:
    popular = "".join(f'<li class="popular-item"><a href="/stories/{slug(t)}">{html.escape(t)}</a></li>'
                      for t in others)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<html lang="en"><head><meta charset="utf-8"><title>River Gazette - {html.escape(title)}</title></head>'
            f'<body><div class="masthead">The River Gazette</div><ul class="sections"><li><a href="/">Front page'
            f'</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/letters">Letters</a></li></ul>'
            f'<div class="layout"><div class="main-column"><h1>{html.escape(title)}</h1>{body}'
            f'<p class="follow">Follow us on social media for the latest news.</p></div><div class="sidebar">'
            f'<h4>Most read</h4><ol>{popular}</ol><div class="advert">Advertisement</div></div></div>'
            f'<div class="footer">River Gazette · Letters to the editor · Advertise with us</div></body></html>')


TEMPLATES = [coast_times, valley_post, northern_echoes, river_gazette]


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "html").mkdir(parents=True)
    (OUT / "ground-truth").mkdir()
    for index, (title, paragraphs) in enumerate(STORIES):
        site, url, prefix = SITES[index % len(SITES)]
        template = TEMPLATES[index % len(SITES)]
        page_id = f"{prefix}-{index + 1:02d}"
        (OUT / "html" / f"{page_id}.html").write_text(template(title, paragraphs, teasers(index)) + "\n",
                                                      encoding="utf-8")
        record = {"url": url.format(slug=slug(title)),
                  "ground_truth": {"title": title, "main_content": "\n\n".join([title, *paragraphs]),
                                   "with": [paragraphs[0][:60]], "without": [teasers(index)[0]]}}
        (OUT / "ground-truth" / f"{page_id}.json").write_text(json.dumps(record, indent=2) + "\n",
                                                              encoding="utf-8")
    print(f"wrote {len(STORIES)} pages of {len(SITES)} sites to {OUT}")


if __name__ == "__main__":
    main()
