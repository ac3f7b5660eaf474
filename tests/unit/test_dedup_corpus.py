"""Hand-written dedup fixtures: fictional events, written for these tests.

Per event: a wire ``original``, two syndicated ``copies`` (other furniture, another
headline, trimmed, lightly edited) and two ``others``: different stories on the same
event by other newsrooms, quoting the same official, the hard case for a threshold.
The measurement over them is in ``test_dedup_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    key: str
    title: str
    body: str


def syndicate(
    paragraphs: list[str],
    *,
    lead: str = "",
    drop: tuple[int, ...] = (),
    edits: tuple[tuple[str, str], ...] = (),
    tail: tuple[str, ...] = (),
) -> str:
    """A republished copy: wire dateline, dropped paragraphs, house style, own furniture."""
    kept = [p for i, p in enumerate(paragraphs) if i not in drop]
    if lead:
        kept[0] = f"{lead} {kept[0]}"
    text = "\n\n".join([*kept, *tail])
    for old, new in edits:
        text = text.replace(old, new)
    return text


RATES_QUOTE = (
    "“Inflation is falling, but not fast enough, and we will do what it takes to bring it "
    "back to target,”"
)
QUAKE_QUOTE = (
    "“Our teams are working in the rubble with their hands, because heavy machinery cannot "
    "reach some of the villages yet,”"
)
STRIKE_QUOTE = (
    "“We are not against new technology, but we will not accept that it is used to cut jobs "
    "and wages behind our backs,”"
)

RATES = [
    "The Northland Reserve Bank raised its benchmark interest rate by a quarter of a "
    "percentage point to 4.5 percent on Thursday, its third increase this year, saying that "
    "price pressures in services were proving harder to tame than it had expected.",
    RATES_QUOTE + " Governor Elena Markovic told reporters in the capital, Ostrava Bay, "
    "after the monetary policy committee voted seven to two for the move.",
    "Consumer prices rose 4.1 percent in the year to September, down from a peak of 7.8 "
    "percent last winter but still well above the bank's 2 percent goal. Rents, insurance "
    "and restaurant prices have kept climbing even as fuel and food costs eased.",
    "The two dissenting members, Tomas Lindqvist and Aisha Rahman, argued for holding rates "
    "steady, warning that the full effect of earlier increases had yet to reach households "
    "with fixed-rate mortgages coming up for renewal.",
    "Financial markets had priced in roughly a 60 percent chance of the increase. The "
    "northland crown rose 0.6 percent against the dollar after the announcement, while "
    "yields on two-year government bonds climbed to their highest level since 2008.",
    "The bank said it would publish updated forecasts in December and that future decisions "
    "would depend on incoming data, particularly wage settlements due in the first quarter "
    "of next year.",
]

QUAKE = [
    "A magnitude 6.4 earthquake struck the mountainous Varesh province early on Sunday, "
    "killing at least 12 people and injuring more than 200, as rescuers searched through "
    "collapsed homes in villages near the epicentre, officials said.",
    "The quake hit at 4:17 a.m. local time at a depth of 10 kilometres, about 35 kilometres "
    "north of the provincial capital Dornik, according to the national seismological "
    "institute. Several aftershocks, the strongest of magnitude 5.1, followed within hours.",
    QUAKE_QUOTE + " said Mirela Dragan, head of the civil protection "
    "agency. Landslides had blocked at least three mountain roads, she said.",
    "Television footage showed residents wrapped in blankets standing outside damaged "
    "apartment blocks in Dornik, where the hospital moved patients into tents in its car "
    "park as a precaution.",
    "The government declared a state of emergency in the province and sent army helicopters "
    "with tents, food and medical supplies. Neighbouring countries offered help.",
    "The region sits on an active fault line and was hit by a magnitude 6.9 earthquake in "
    "1981 that killed more than 300 people.",
]

STRIKE = [
    "Thousands of dockworkers walked off the job at Port Halden on Monday, halting container "
    "traffic at the country's busiest harbour in a dispute over pay and the introduction of "
    "automated cranes.",
    "The Transport and Dock Workers Union said about 4,500 members had joined the 48-hour "
    "stoppage after talks with the port operator, Halden Terminals, broke down late on "
    "Friday.",
    STRIKE_QUOTE + " union leader Marta Kowalczyk told a rally at the harbour gates.",
    "Halden Terminals said it had offered a 6 percent pay rise over two years and a guarantee "
    "of no compulsory redundancies until 2027. It called the strike unnecessary and said it "
    "remained open to talks.",
    "At least 30 ships were waiting at anchor outside the port by Monday afternoon, according "
    "to ship tracking data. Retailers warned that prolonged disruption could lead to "
    "shortages ahead of the holiday season.",
    "The transport ministry urged both sides to return to the negotiating table and said it "
    "was ready to appoint a mediator.",
]

COPYRIGHT = (
    "Copyright 2025 Wire Service. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed."
)
NEWSLETTER = "Sign up for our morning newsletter to get the day's top stories."

EVENTS: dict[str, dict[str, list[Story]]] = {
    "rates": {
        "original": [
            Story(
                "rates-wire",
                "Northland central bank raises rates to 4.5% as inflation lingers",
                "\n\n".join(RATES),
            )
        ],
        "copies": [
            Story(
                "rates-courier",
                "Rates up again: what the central bank's move means for you",
                syndicate(
                    RATES,
                    lead="OSTRAVA BAY (Wire Service) —",
                    drop=(5,),
                    tail=(COPYRIGHT, NEWSLETTER),
                ),
            ),
            Story(
                "rates-metro",
                "Reserve Bank lifts borrowing costs for third time this year",
                syndicate(
                    RATES,
                    drop=(3,),
                    edits=(
                        (" percent", "%"),
                        ("on Thursday", "Thursday"),
                        ("told reporters in the capital, Ostrava Bay,", "said in Ostrava Bay"),
                    ),
                    tail=(
                        "Related: Mortgage rates hit 15-year high",
                        "Additional reporting by Jan Novak; editing by Mark Hill",
                    ),
                ),
            ),
        ],
        "others": [
            Story(
                "rates-herald",
                "Markovic defies critics with third rate rise of the year",
                "Homeowners face higher mortgage bills after the Northland Reserve Bank pushed "
                "borrowing costs up again on Thursday, brushing aside calls from business "
                "groups and two of its own policymakers to pause.\n\n"
                "The increase, to 4.5 percent, was widely expected by economists but will "
                "still sting the roughly 400,000 households whose fixed-rate deals expire in "
                "the next twelve months. Brokers said lenders were likely to reprice their "
                "mortgage offers within days.\n\n" + RATES_QUOTE + " Governor Elena Markovic "
                "said. She rejected suggestions that the bank was acting too aggressively, "
                "pointing to stubborn price rises in services.\n\n"
                "The Chamber of Commerce called the decision a mistake. Its chief economist, "
                "Pavel Horak, said small firms were already cutting investment and that another "
                "increase risked tipping the economy into recession by the spring.\n\n"
                "Opposition finance spokesman David Orlov blamed the government for letting "
                "public spending run ahead of revenue, which he said had left the central bank "
                "to do the heavy lifting.",
            ),
            Story(
                "rates-analysis",
                "Analysis: Why the Reserve Bank is not done yet",
                "Thursday's quarter-point rise in Northland's benchmark rate to 4.5 percent was "
                "the least surprising part of the Reserve Bank's announcement. What caught the "
                "attention of investors was the language: the bank dropped its earlier hint "
                "that rates were close to their peak.\n\n"
                "That matters because services inflation, driven by wages and rents, has barely "
                "moved in six months. Goods prices have fallen back as supply chains recovered "
                "and energy got cheaper, but goods now make up a smaller share of the basket.\n\n"
                "Governor Elena Markovic repeated that the bank would do what it takes to bring "
                "inflation back to target. Economists at three of the country's largest banks "
                "now expect at least one more increase early next year, and none forecast a cut "
                "before the autumn.\n\n"
                "The dissent of two committee members shows the debate inside the bank is real, "
                "however. If wage settlements in the first quarter come in lower than feared, "
                "the case for pausing will strengthen quickly.\n\n"
                "For now, savers are the winners. Deposit rates at the big lenders have risen to "
                "their highest level in more than a decade.",
            ),
        ],
    },
    "quake": {
        "original": [
            Story(
                "quake-wire",
                "Magnitude 6.4 earthquake strikes Varesh province, at least 12 dead",
                "\n\n".join(QUAKE),
            )
        ],
        "copies": [
            Story(
                "quake-gazette",
                "Deadly quake hits Varesh: rescuers dig through rubble",
                syndicate(
                    QUAKE,
                    lead="DORNIK, Sunday (Wire Service) -",
                    drop=(4, 5),
                    tail=("Follow our live coverage of the Varesh earthquake.", COPYRIGHT),
                ),
            ),
            Story(
                "quake-portal",
                "12 killed as 6.4 quake rocks Varesh",
                syndicate(
                    QUAKE,
                    drop=(3,),
                    edits=(
                        ("epicentre", "epicenter"),
                        ("kilometres", "km"),
                        ("Neighbouring", "Neighboring"),
                        ("officials said", "authorities said"),
                    ),
                    tail=("This story has been updated with the latest death toll.",),
                ),
            ),
        ],
        "others": [
            Story(
                "quake-local",
                "A cold night in the open for the villages above Dornik",
                "Villagers in the hills above Dornik spent a cold night outdoors after Sunday's "
                "earthquake, too frightened to return to houses that had cracked or lost their "
                "roofs.\n\n"
                "In Kalno, a village of about 600 people close to the epicentre, almost every "
                "second home was damaged. Residents said the shaking lasted nearly half a minute "
                "and was followed by a roar as part of the hillside gave way.\n\n"
                + QUAKE_QUOTE
                + " civil protection chief Mirela Dragan said at a briefing. The official death "
                "toll stood at 12 by Sunday evening.\n\n"
                "Volunteers from Dornik drove up with bread, water and blankets, but the main "
                "road was cut by a landslide, forcing them to carry supplies the last two "
                "kilometres on foot.\n\n"
                "Teachers said schools across the province would stay closed for at least a "
                "week while engineers inspected buildings for structural damage.",
            ),
            Story(
                "quake-explainer",
                "Why is Varesh so prone to earthquakes?",
                "Sunday's magnitude 6.4 earthquake in Varesh province was not a surprise to "
                "seismologists. The region lies where two crustal plates push against each "
                "other, building up strain that is released in sudden ruptures along a network "
                "of faults.\n\n"
                "The national seismological institute recorded the main shock at a shallow "
                "depth of about 10 kilometres, which is why the shaking at the surface was so "
                "strong. Shallow quakes tend to cause more damage than deeper ones of the same "
                "magnitude.\n\n"
                "Building standards were tightened after the 1981 disaster, which killed more "
                "than 300 people, but many village houses are older and built of stone or "
                "unreinforced brick.\n\n"
                "Experts warn that aftershocks can continue for weeks. People are advised not "
                "to enter damaged buildings and to keep emergency supplies at hand.",
            ),
        ],
    },
    "strike": {
        "original": [
            Story(
                "strike-wire",
                "Dockworkers strike shuts Port Halden, the country's busiest harbour",
                "\n\n".join(STRIKE),
            )
        ],
        "copies": [
            Story(
                "strike-tribune",
                "Port Halden at standstill as 4,500 dockers walk out",
                syndicate(
                    STRIKE,
                    lead="PORT HALDEN (Wire Service) —",
                    drop=(5,),
                    edits=(("Thousands of dockworkers", "Thousands of dock workers"),),
                    tail=(NEWSLETTER,),
                ),
            ),
            Story(
                "strike-regional",
                "Strike at the docks: ships queue outside Halden",
                syndicate(
                    STRIKE,
                    drop=(1,),
                    edits=(
                        ("harbour", "harbor"),
                        ("on Monday", "Monday"),
                        (" percent", "%"),
                        ("told a rally at the harbor gates", "said"),
                    ),
                    tail=("Read more: How automation is changing the docks", COPYRIGHT),
                ),
            ),
        ],
        "others": [
            Story(
                "strike-business",
                "Importers brace for delays as Halden strike bites",
                "Importers and freight forwarders scrambled to reroute cargo on Monday as a "
                "dockworkers' strike brought Port Halden to a standstill, with some shipping "
                "lines diverting vessels to smaller harbours along the coast.\n\n"
                "Freight rates for containers bound for the country jumped by almost a fifth in "
                "a single day, according to a logistics index, and forwarders said they were "
                "charging congestion surcharges for goods already at sea.\n\n"
                + STRIKE_QUOTE
                + " union leader Marta Kowalczyk said, signalling that the 48-hour stoppage "
                "could be extended if talks did not resume.\n\n"
                "Supermarket chains said they had built up stock ahead of the holiday season and "
                "did not expect empty shelves this week, but warned that a longer dispute would "
                "hit supplies of fresh fruit and electronics.\n\n"
                "The port handles roughly two thirds of the country's container trade.",
            ),
            Story(
                "strike-feature",
                "On the picket line at Port Halden",
                "By seven in the morning the harbour gates were blocked by a line of orange "
                "vests and hand-painted signs. Many of the strikers had worked on the docks for "
                "decades, as had their fathers.\n\n"
                "Automation is the word on everybody's lips. Halden Terminals plans to install "
                "remotely operated cranes on two of its container berths next year, a project "
                "workers fear could halve the number of crane drivers.\n\n"
                "“We are not against new technology,” said union leader Marta Kowalczyk, "
                "repeating a line that drew the loudest cheers of the day. The company insists "
                "nobody will be forced out before 2027.\n\n"
                "Younger workers said they worried less about robots than about rents, which "
                "have soared in the port district as old warehouses were converted into flats.",
            ),
        ],
    },
}


def test_fixture_copies_are_trimmed_and_refurnished() -> None:
    for event in EVENTS.values():
        original = event["original"][0]
        for copy in event["copies"]:
            assert copy.body != original.body and copy.title != original.title
            assert len(copy.body) < len(original.body) + 250
