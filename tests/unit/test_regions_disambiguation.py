"""Region tagger: the classic false positives, one test (or more) each."""

from __future__ import annotations

from pipeline.tag.regions import tag_regions


def countries(title: str | None, body: str) -> list[str]:
    return tag_regions(title, body).countries


# Georgia: the US state or the country, by what the rest of the story says.
def test_georgia_the_us_state() -> None:
    tags = tag_regions(
        "Georgia votes", "Voters in Atlanta lined up early as Georgia counted ballots."
    )
    assert tags.countries == ["US"]
    assert "US-GA" in tags.subdivisions


def test_georgia_the_country() -> None:
    tags = tag_regions(
        "Georgia protests", "Protesters in Tbilisi marched as Georgia's parliament met."
    )
    assert tags.countries == ["GE"]
    assert "US-GA" not in tags.subdivisions


def test_the_university_of_georgia_is_in_the_us() -> None:
    tags = tag_regions(None, "A professor at the University of Georgia said the study was flawed.")
    assert tags.countries == ["US"]


def test_georgia_next_to_us_states() -> None:
    assert countries(None, "Storms hit Florida, Alabama and Georgia overnight.") == ["US"]


# A town qualified by its state or country: the qualifier picks the namesake.
def test_a_town_and_its_state() -> None:
    tags = tag_regions(None, "Heavy rain flooded streets in Paris, Texas, on Monday.")
    assert tags.countries == ["US"]  # not France, whatever Paris's prominence
    assert tags.subdivisions == ["US-TX"]
    assert [(p.name, p.country) for p in tags.places] == [("Paris", "US"), ("Texas", "US")]
    assert countries(None, "A fire broke out in Moscow, Idaho, overnight.") == ["US"]
    assert countries(None, "Snow closed roads around London, Ontario.") == ["CA"]


def test_the_qualifier_reads_as_the_towns_country() -> None:
    # Georgia the state beside a US town, the country beside Tbilisi
    tags = tag_regions(None, "Fans gathered in Athens, Georgia, for the game.")
    assert tags.countries == ["US"]
    assert tags.subdivisions == ["US-GA"]
    assert countries(None, "He flew from Tbilisi, Georgia, to Yerevan.") == ["GE", "AM"]


def test_a_town_and_state_back_each_other() -> None:
    # "Virginia" alone is weak (a given name), a small Alexandria loses to Egypt's: together
    # each names the other's country
    tags = tag_regions(None, "Officials in Alexandria, Virginia, closed the road.")
    assert tags.countries == ["US"]
    assert tags.subdivisions == ["US-VA"]


def test_a_qualifier_drops_a_namesake_that_is_no_state() -> None:
    # Florida is also a town of Cuba, Colombia and Uruguay: beside Key West it is the state,
    # whatever Havana in the same sentence says
    tags = tag_regions(None, "The boat left Key West, Florida, and sailed toward Havana.")
    assert tags.subdivisions == ["US-FL"]
    assert ("Florida", "US") in [(p.name, p.country) for p in tags.places]
    assert tags.focus_countries == ["US"]


def test_a_us_town_named_after_a_country() -> None:
    for text, state in (
        ("Police arrested a man in Lebanon, Pennsylvania, on Tuesday.", "US-PA"),
        ("The shooting happened in Peru, Indiana, late on Friday.", "US-IN"),
        ("Residents of Mexico, Missouri, were told to boil water.", "US-MO"),
    ):
        tags = tag_regions(None, text)
        assert tags.countries == ["US"], text
        assert tags.subdivisions == [state], text
    # a list, a state that is also a country, a province of the country itself: unchanged
    assert countries(None, "The leaders of Lebanon, Syria and Jordan met.") == ["LB", "SY", "JO"]
    assert countries(None, "In Ukraine, Georgia's president spoke.") == ["UA", "GE"]
    assert countries(None, "Fighting in Pakistan, Punjab province, killed two.") == ["PK"]


def test_lists_are_not_qualifiers() -> None:
    assert countries(None, "Ministers from Georgia, Armenia and Azerbaijan met.") == [
        "GE",
        "AM",
        "AZ",
    ]
    assert set(countries(None, "Talks were held in Paris, London and Berlin.")) == {
        "FR",
        "GB",
        "DE",
    }
    assert countries(None, "Protests spread to Paris, France, on Saturday.") == ["FR"]
    # a town and a country name inside a longer run of places: not Athens, Georgia
    for text in (
        "Envoys travelled to Athens, Georgia and Armenia.",
        "Envoys travelled to Rome, Athens, Georgia, Armenia.",
        "Envoys travelled to Rome, Athens, Georgia.",  # the run may be a list: left alone
    ):
        places = [(p.name, p.country) for p in tag_regions(None, text).places]
        assert ("Athens", "GR") in places, text


# A country named as an actor does not pull a city's name to a small namesake in it.
def test_a_country_as_actor_does_not_move_a_city_abroad() -> None:
    tags = tag_regions(None, "US and Russian diplomats met in Geneva on Tuesday.")
    assert ("Geneva", "CH") in [(p.name, p.country) for p in tags.places]
    tags = tag_regions(None, "American fans filled the stadium in Rotterdam.")
    assert set(tags.countries) == {"US", "NL"}
    tags = tag_regions(None, "A US citizen was detained in Alexandria, prosecutors in Cairo said.")
    assert ("Alexandria", "EG") in [(p.name, p.country) for p in tags.places]


def test_a_town_or_state_of_the_country_still_picks_its_namesake() -> None:
    tags = tag_regions(None, "The plant in Birmingham employs 300 people, Alabama officials said.")
    assert tags.countries == ["US"]
    assert ("Birmingham", "US") in [(p.name, p.country) for p in tags.places]


# Jordan: the country, or a person.
def test_jordan_the_player() -> None:
    assert countries(None, "Michael Jordan scored 38 points for the Bulls.") == []
    assert countries(None, "Jordan scored 30 points as the Bulls won the NBA title.") == []


def test_jordan_later_mentions_follow_the_person() -> None:
    body = "Michael Jordan signed autographs. Later, Jordan thanked the fans."
    assert countries(None, body) == []


def test_jordan_the_country() -> None:
    assert countries(None, "Jordan reopened its border with Syria on Monday.") == ["JO", "SY"]
    assert countries(None, "King Abdullah said Jordan would host the talks.") == ["JO"]


def test_jordan_a_surname_after_it() -> None:
    assert countries(None, "Jordan Peterson gave a lecture in Toronto.") == ["CA"]


def test_jordan_before_a_surname_no_list_has() -> None:
    # the census surnames lack "Jovtchev": its ending makes it one
    body = "Bulgaria's Jordan Jovtchev took home the silver in the rings final."
    assert countries(None, body) == ["BG"]
    assert countries(None, "Chad Kowalski and Jordan Petrova won the mixed doubles.") == []


def test_a_place_with_a_surname_ending_stays_a_place() -> None:
    # "Rostov" ends like a surname but is a city: "Jordan Rostov" is not read as a person
    assert "JO" in countries(None, "Flights between Jordan Rostov and Istanbul resumed.")


def test_a_country_named_person_after_a_role_word() -> None:
    # no list has "Adesanya" or "Arie": the role word before the name makes them surnames
    body = "UFC champion Israel Adesanya lost his title on Saturday night in Las Vegas."
    assert countries(None, body) == ["US"]
    assert countries(None, "Singer India Arie will tour Europe next summer.") == []
    # without the role word the country stays; after it, a place name is no surname
    assert countries(None, "Israel Adesanya visited the base.") == ["IL"]
    assert countries(None, "The defending champion France beat Morocco.") == ["FR", "MA"]
    assert "IL" in countries(None, "The champion Israel Premier League side won.")


# china the porcelain.
def test_ajax_the_club_and_the_town() -> None:
    assert countries(None, "The fans of Ajax celebrated the title in Amsterdam.") == ["NL"]
    assert countries(None, "Ajax beat PSV 2-1 on Sunday.") == []
    assert countries(None, "A crash in Ajax closed lanes, Durham police said.") == ["CA"]


def test_a_stadium_named_after_a_person_is_not_a_city() -> None:
    assert countries(None, "Real Madrid won 3-0 at the Santiago Bernabeu on Saturday.") == ["ES"]


def test_china_the_porcelain() -> None:
    assert countries(None, "She packed the china and the silver before the move.") == []
    assert countries("Caring for your Fine China", "Wash fine china by hand.") == []
    assert countries(None, "China plates and teacups sold well at the antique fair.") == []


def test_china_the_country() -> None:
    assert countries(None, "China's exports rose 8 percent in May.") == ["CN"]


# turkey the bird.
def test_turkey_the_bird() -> None:
    assert countries(None, "We roasted a turkey for Thanksgiving dinner.") == []
    assert countries(None, "Turkey prices fell before Thanksgiving, with stuffing cheaper.") == []


def test_turkey_the_country() -> None:
    assert countries(None, "Turkey's central bank raised rates as the lira fell.") == ["TR"]


# Chad and Niger as first names.
def test_chad_as_a_first_name() -> None:
    assert countries(None, "Chad Smith threw three touchdowns in Columbus, Ohio.") == ["US"]
    assert countries(None, "Mr Chad said the deal was fair.") == []


def test_chad_the_country() -> None:
    assert countries(None, "Chad closed its border with Sudan after clashes.") == ["TD", "SD"]
    assert countries(None, "Refugees reached N'Djamena, Chad's capital.") == ["TD"]


def test_niger_as_a_first_name() -> None:
    assert countries(None, "Niger Thomas, a coach from Ohio, praised his team.") == ["US"]


def test_niger_the_country() -> None:
    assert countries(None, "Niger's junta expelled French troops from Niamey.") == ["NE", "FR"]


# "Guinea" inside other names.
def test_guinea_inside_other_country_names() -> None:
    assert countries(None, "A landslide hit Papua New Guinea.") == ["PG"]
    assert countries(None, "Equatorial Guinea sold oil blocks.") == ["GQ"]
    assert countries(None, "Soldiers mutinied in Guinea-Bissau.") == ["GW"]
    assert countries(None, "Guinea held elections in Conakry.") == ["GN"]


def test_guinea_pig_and_gulf_of_guinea() -> None:
    assert countries(None, "Guinea pigs make good pets, vets say.") == []
    assert countries(None, "Pirates attacked a tanker in the Gulf of Guinea.") == []


# Place names inside organisation and other names.
def test_bank_of_america_is_not_america() -> None:
    assert countries(None, "Bank of America raised its forecast.") == []


def test_new_mexico_is_not_mexico() -> None:
    tags = tag_regions(None, "Wildfires spread in New Mexico near Santa Fe.")
    assert tags.countries == ["US"]
    assert tags.subdivisions == ["US-NM"]


def test_indiana_is_not_india() -> None:
    assert countries(None, "Indiana lawmakers passed the budget.") == ["US"]
    assert countries(None, "Indiana Jones returns to cinemas.") == []
    assert countries(None, "Ships crossed the Indian Ocean.") == []


def test_a_place_as_a_surname() -> None:
    assert countries(None, "George Washington crossed the river.") == []
    # the Delaware is read as the state (the river's country all the same); Washington not
    tags = tag_regions(None, "George Washington crossed the Delaware.")
    assert [p.name for p in tags.places] == ["Delaware"]


def test_language_names_are_not_countries() -> None:
    assert countries(None, "The film is in French with subtitles.") == []
    assert set(countries(None, "French troops left Mali.")) == {"FR", "ML"}


def test_capitals_in_capitals_are_acronyms() -> None:
    # "MAN" in capitals is not the town of Man, Côte d'Ivoire.
    assert countries(None, "The MAN truck maker cut jobs.") == []


# Cities geonames spells otherwise are found under the names news uses; names that are more
# often something else are not added.
def test_news_spellings_of_cities() -> None:
    assert countries(None, "Traders in Frankfurt sold bank shares.") == ["DE"]
    assert countries(None, "Airstrikes hit Hodeidah overnight.") == ["YE"]
    assert countries(None, "Families fled Khan Younis on foot.") == ["PS"]
    assert countries(None, "Shelling near Zaporizhzhia continued.") == ["UA"]
    assert countries(None, "Danilo Medina won the election.") == []  # a surname
    assert countries(None, "Two of the four Hague cases went back.") == []  # the tribunal


# Social posts write hashtags in any case; elsewhere a lowercase word is not a name, except a
# country's own name (next test).
def test_hashtags_name_places_in_any_case() -> None:
    tags = tag_regions(None, "Heavy shelling tonight #ukraine #kharkiv")
    assert tags.countries == ["UA"]
    assert [p.name for p in tags.places] == ["Ukraine", "Kharkiv"]
    assert countries(None, "#gaza ceasefire talks resume") == ["PS"]  # the first word too
    assert countries(None, "new sneakers #jordan") == []  # the ambiguity rules still apply
    assert countries(None, "heavy shelling tonight in kharkiv") == []  # a town wants its capital


# Posts write country names in lowercase ("moving to japan"): those that are no word or name
# match so; a link, an address, a longer name and the words that are also foods do not.
def test_country_names_in_lowercase() -> None:
    assert countries(None, "heavy fighting between russia & ukraine #mh17") == ["RU", "UA"]
    assert countries(None, "i'm moving to america when i'm 23") == ["US"]
    assert countries(None, "they came to the uk this year") == ["GB"]
    assert countries(None, "summer in new zealand, no joke") == ["NZ"]
    assert countries(None, "hello from abq new mexico!") == []  # the US state, not Mexico
    assert countries(None, "i moved to japan. it was great") == ["JP"]  # a sentence's end
    assert countries(None, "see https://www.reddit.com/r/canada/comments/5oj") == []
    assert countries(None, "visit canada.ca for more") == []
    assert countries(None, "the fine china and the turkey dinner") == []
    assert countries(None, "a bowl of green chile stew") == []
    assert countries(None, "join us too") == []


# "UK's" is "UK" written in capitals, as "Iran's" is "Iran".
def test_a_possessive_code_is_the_country() -> None:
    assert countries(None, "UK's FTSE 100 closes at highest level since 1999") == ["GB"]
    assert countries(None, "the US's trade deficit widened") == ["US"]
    assert countries(None, "The MAN's house") == []  # an acronym is still no town


# "US$50 million" is the currency that news from everywhere prices in, not the country.
def test_the_us_dollar_is_not_the_us() -> None:
    assert countries(None, "The firm paid US$50 million for the Indian startup.") == ["IN"]
    assert countries(None, "Onex will buy York Risk Services for US $1.33 billion.") == []
    assert countries(None, "Exporters are paid in US dollars.") == []
    assert countries(None, "US sanctions on Iran widened.") == ["US", "IR"]
    assert countries(None, "The deal, worth US$5m, was signed in Texas") == ["US"]  # by Texas


# England and Alberta are strong names (a nation of the UK, a province of 4.6 million), not
# the surname and the given name the census lists also hold; Ontario is the province unless
# the story is in California.
def test_england_alberta_and_ontario() -> None:
    assert countries(None, "Frank Lampard is in Roy Hodgson's England World Cup squad") == ["GB"]
    assert countries(None, "Justin Trudeau tries to shake off father's ghost in Alberta") == ["CA"]
    assert countries(None, "Rabbit colony munches its way through northern Ontario") == ["CA"]
    assert countries(None, "Police in Ontario, California said a man was held") == ["US"]
    assert countries(None, "Police in Ontario said a man from Rancho Cucamonga") == ["US"]


# Towns far better known as a person, a paper or a firm are places only beside their country;
# parts of a country that no ISO code names still tie the story to it.
def test_towns_better_known_as_something_else() -> None:
    assert countries(None, "Nigel Farage is certain Ukip will send MPs to Westminster") == ["GB"]
    assert countries(None, "Nigel, a town east of Johannesburg in Gauteng, flooded") == ["ZA"]
    assert countries(None, "Metro to shutter free print newspapers") == []
    assert countries(None, "Toyota will recall 6.39 million vehicles world-wide.") == []
    assert countries(None, "Holy moly. And I HATE Bono.") == []
    assert countries(None, "I'm at Hester Residence (Kingswinford, West Midlands)") == ["GB"]
    assert countries(None, "Zimbabwe's Midlands province") == ["ZW"]
    assert countries(None, "A study in the New England Journal of Medicine found") == ["US"]


# A town read over a strong province of its own name is as strong as the province ("Ramallah",
# "Marib"); towns that war made known, regions without an ISO code of their own ("Darfur",
# "Puntland", "Nagorno-Karabakh") and English names ISO lacks ("Tigray", "Daraa") tag their
# country without it being named.
def test_places_in_the_news_without_their_country() -> None:
    for place, code in [
        ("Ramallah", "PS"), ("Marib", "YE"), ("Kherson", "UA"), ("Bakhmut", "UA"),
        ("Avdiivka", "UA"), ("Sinjar", "IQ"), ("Timbuktu", "ML"), ("Natanz", "IR"),
        ("Tigray", "ET"), ("Daraa", "SY"), ("Darfur", "SD"), ("Puntland", "SO"),
        ("Nagorno-Karabakh", "AZ"), ("Stepanakert", "AZ"),
    ]:  # fmt: skip
        assert countries(None, f"Fighting was reported in {place} on Monday.") == [code], place
    assert countries(None, "Kabul province") == ["AF"]  # the province itself still
