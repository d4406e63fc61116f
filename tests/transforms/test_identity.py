import unicodedata

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from transforms.identity import canonical_profile_key


def keys(*urls: str | None) -> list[str | None]:
    return canonical_profile_key(pl.Series(list(urls), dtype=pl.String)).to_list()


def test_a_percent_encoded_slug_and_its_unicode_form_are_one_person():
    assert keys(
        "https://www.linkedin.com/in/fran%C3%A7ois-dupont-1a2b",
        "https://www.linkedin.com/in/françois-dupont-1a2b",
    ) == ["françois-dupont-1a2b", "françois-dupont-1a2b"]


def test_country_host_trailing_slash_query_and_http_forms_are_one_person():
    assert keys(
        "https://de.linkedin.com/in/X/?trk=y",
        "http://linkedin.com/in/x",
        "www.linkedin.com/in/x",
        "  https://www.linkedin.com/in/x#about ",
    ) == ["x", "x", "x", "x"]


def test_trailing_hyphens_are_part_of_the_slug():
    assert keys("https://www.linkedin.com/in/sam-lee-") == ["sam-lee-"]


def test_decomposed_unicode_is_normalized_to_nfc():
    assert keys("https://www.linkedin.com/in/linne\u0301a") == ["linn\u00e9a"]


def test_values_that_are_not_profile_urls_have_no_key():
    assert keys(None, "", "https://www.linkedin.com/sales/lead/ACwAA123", "not a url") == [
        None,
        None,
        None,
        None,
    ]


slugs = st.text(
    alphabet=st.characters(
        categories=("Ll", "Lu", "Nd"), max_codepoint=0x2FFF, exclude_characters="%"
    ),
    min_size=1,
    max_size=20,
).map(lambda s: s + "-x")


@given(
    slug=slugs,
    scheme=st.sampled_from(["https://", "http://", ""]),
    host=st.sampled_from(["www.", "", "de.", "uk."]),
    suffix=st.sampled_from(["", "/", "/?trk=public_profile", "?originalSubdomain=de", "#x"]),
    encode=st.booleans(),
)
def test_every_url_form_of_a_slug_gives_the_same_key(slug, scheme, host, suffix, encode):
    from urllib.parse import quote

    written = quote(slug) if encode else slug
    url = f"{scheme}{host}linkedin.com/in/{written}{suffix}"
    expected = keys(f"https://www.linkedin.com/in/{slug}")[0]
    assert keys(url) == [expected]
    assert expected == expected.lower()


def _reference_keys(urls: list[str | None]) -> list[str | None]:
    """The key as first specified: one capturing regex, then decode, lower-case, NFC."""
    from urllib.parse import unquote

    pattern = r"(?i)^(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/([^/?#\s]+)"
    slugs = pl.Series(urls, dtype=pl.String).str.strip_chars().str.extract(pattern, 1)
    decoded = [unquote(s) if s is not None else None for s in slugs.to_list()]
    return pl.Series(decoded, dtype=pl.String).str.to_lowercase().str.normalize("NFC").to_list()


# Pieces of real and broken URLs, glued at random: every way a prefix, a host or a slug can end.
url_pieces = st.lists(
    st.sampled_from(
        [
            "https://",
            "http://",
            "HTTPS://",
            "www.",
            "de.",
            "-.",
            "LinkedIn.com",
            "linkedin.com",
            "linkedin",
            ".com",
            "/in/",
            "/IN/",
            "/in",
            "in/",
            "/",
            "?",
            "#",
            "%",
            "%C3%A7",
            "%e9",
            "%2F",
            "%41",
            " ",
            "\t",
            "\u00a0",
            "\u2028",
            "\n",
            "é",
            "e\u0301",
            "Ä",
            "ß",
            "İ",
            "x",
            "Jane-Doe",
            "-",
            "sales/lead",
            "?trk=x",
            "\u212a",
        ]
    ),
    max_size=8,
).map("".join)


@given(urls=st.lists(st.one_of(st.none(), url_pieces, st.text(max_size=12)), max_size=30))
def test_the_key_of_any_text_is_the_key_of_the_one_regex_definition(urls):
    assert keys(*urls) == _reference_keys(urls)


names = st.one_of(
    st.none(),
    st.lists(
        st.sampled_from(["a", "B", "é", "e\u0301", " ", "  ", "\t", "\n", "\u00a0", "Å"]),
        max_size=8,
    ).map("".join),
)


@given(first=st.lists(names, min_size=1, max_size=20), last=st.data())
def test_full_names_are_trimmed_single_spaced_nfc_and_null_when_blank(first, last):
    from transforms.identity import full_name

    lasts = last.draw(st.lists(names, min_size=len(first), max_size=len(first)))
    frame = pl.DataFrame(
        {"first": first, "last": lasts}, schema={"first": pl.String, "last": pl.String}
    )
    got = frame.select(full_name(pl.col("first"), pl.col("last"))).to_series().to_list()
    expected = []
    for a, b in zip(first, lasts, strict=True):
        name = unicodedata.normalize("NFC", " ".join(f"{a or ''} {b or ''}".split()))
        expected.append(name or None)
    assert got == expected


@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.lists(
                st.sampled_from(
                    [
                        *("%", "%C3", "%A7", "%c3%a7", "%E2%82%AC", "%F0%9F", "%2", "%25", "%41"),
                        *("%zz", "a", "F", "é", "-", "3", "%E9", "%80", "\u00e7"),
                    ]
                ),
                max_size=10,
            ).map("".join),
        ),
        max_size=30,
    )
)
def test_percent_decoding_reads_what_unquote_reads(values):
    from urllib.parse import unquote

    from transforms.identity import percent_decode

    got = percent_decode(pl.Series(values, dtype=pl.String)).to_list()
    assert got == [unquote(v) if v is not None else None for v in values]
