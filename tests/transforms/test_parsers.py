import pytest

from transforms.connections import parse_connections
from transforms.errors import ExportFormatError
from transforms.followers import parse_followers
from transforms.invitations import parse_invitations
from transforms.messages import parse_messages

PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    'are missing. You will only see email addresses for connections who have allowed it."\n'
    "\n"
)
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


def connections(body: str, preamble: str = PREAMBLE):
    data = (preamble + HEADER + body).encode()
    return parse_connections(data, source="Connections.csv", email_salt="salt").frame


def test_the_notes_preamble_is_skipped_and_quoted_commas_kept():
    frame = connections(
        'Jonas,Lind,https://www.linkedin.com/in/jonaslind,,"Acme, Inc.","Director, Sales",'
        "03 Jan 2019"
    )
    row = frame.row(0, named=True)
    assert (row["company"], row["position"], str(row["connected_on"])) == (
        "Acme, Inc.",
        "Director, Sales",
        "2019-01-03",
    )


def test_emails_are_replaced_by_salted_hashes():
    frame = connections("Ana,P,https://www.linkedin.com/in/ana,ana@example.com,X,Y,27 Jun 2026")
    digest = frame["email_hash"][0]
    assert "@" not in digest and len(digest) == 64
    assert "email" not in frame.columns


def test_a_file_without_preamble_and_url_column_from_2020_loads():
    data = b"First Name,Last Name,Email Address,Company,Position,Connected On\nA,B,,C,D,07 Mar 2020"
    frame = parse_connections(data, source="c.csv", email_salt="s").frame
    assert frame["profile_url"].to_list() == [None]
    assert str(frame["connected_on"][0]) == "2020-03-07"


def test_a_bom_and_crlf_line_endings_are_accepted():
    data = ("\ufeff" + HEADER + "A,B,https://www.linkedin.com/in/a,,C,D,01 Feb 2025\r\n").encode()
    assert parse_connections(data, source="c.csv", email_salt="s").frame.height == 1


def test_a_date_that_does_not_parse_names_the_row():
    with pytest.raises(ExportFormatError) as error:
        connections(
            "A,B,https://www.linkedin.com/in/a,,C,D,01 Feb 2025\nE,F,,,G,H,sometime last year"
        )
    assert error.value.row == 2
    assert "Connections.csv, row 2" in str(error.value)
    assert "sometime last year" in str(error.value)


def test_a_row_with_too_many_fields_names_the_row():
    with pytest.raises(ExportFormatError) as error:
        connections("A,B,,,C,D,01 Feb 2025\nA,B,,,C,D,01 Feb 2025,extra,more")
    assert error.value.row == 2


def test_a_file_without_the_required_columns_is_refused():
    with pytest.raises(ExportFormatError, match="no header with the columns"):
        parse_connections(b"foo,bar\n1,2\n", source="c.csv", email_salt="s")


def test_invitations_keep_no_message_text():
    data = (
        b"From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl\n"
        b'Maria Silva,Ken Ito,"6/27/26, 7:35 AM","Hi Ken, let us connect",OUTGOING,'
        b"https://www.linkedin.com/in/maria,https://www.linkedin.com/in/ken\n"
    )
    frame = parse_invitations(data, source="Invitations.csv").frame
    assert "message" not in frame.columns
    assert str(frame["sent_at"][0]) == "2026-06-27 07:35:00"


def test_messages_keep_who_and_when_but_no_content():
    data = (
        b'"CONVERSATION ID","CONVERSATION TITLE","FROM","SENDER PROFILE URL","TO",'
        b'"RECIPIENT PROFILE URLS","DATE","SUBJECT","CONTENT","FOLDER","ATTACHMENTS"\n'
        b'"c1","","Ana","https://www.linkedin.com/in/ana","Walid T., FICS,Lukas J.",'
        b'"https://www.linkedin.com/in/walid,https://www.linkedin.com/in/lukas",'
        b'"2026-04-06 16:35:35 UTC","","line one\nline two, secret","INBOX",""\n'
    )
    frame = parse_messages(data, source="messages.csv").frame
    assert frame.height == 1
    assert frame["recipient_urls"][0].to_list() == [
        "https://www.linkedin.com/in/walid",
        "https://www.linkedin.com/in/lukas",
    ]
    assert not any("secret" in str(v) for v in frame.row(0))


def test_follower_lists_match_columns_by_alias():
    data = b"Profile URL,Full Name,Headline\nhttps://www.linkedin.com/in/a/,Ann A,CEO\n"
    frame = parse_followers(data, source="followers.csv").frame
    assert frame.select("full_name", "headline").row(0) == ("Ann A", "CEO")
    split = b"profileUrl,firstName,lastName,occupation\nhttps://x.linkedin.com/in/b,Bo,B,CTO\n"
    assert parse_followers(split, source="f.csv").frame["full_name"].to_list() == ["Bo B"]


# ---- encodings (linkedin-formats.md 13.10, 13.11) ----

ROW = "Linnéa,Ström,https://www.linkedin.com/in/linn%C3%A9a-str%C3%B6m,,Exempel AB,HR,27 Nov 2024"


def read_connections(data: bytes):
    return parse_connections(data, source="Connections.csv", email_salt="s")


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode(),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: (text + "\n").encode(),
        lambda text: text.replace(",", "\t").encode("utf-16"),
    ],
    ids=["utf8-no-final-newline", "utf8-bom", "crlf", "final-newline", "utf16-bom-tabs"],
)
def test_native_encodings_load_and_are_not_flagged(encode):
    table = read_connections(encode(HEADER + ROW))
    assert table.frame.select("first_name", "last_name").row(0) == ("Linnéa", "Ström")
    assert not table.resaved


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman"])
def test_spreadsheet_resaves_load_and_are_flagged(encoding):
    text = HEADER + ROW.replace("Ström", "Jørgensen") + "\r\n"
    table = read_connections(text.encode(encoding))
    assert table.frame.select("first_name", "last_name").row(0) == ("Linnéa", "Jørgensen")
    assert (table.encoding, table.resaved) == (encoding, True)


def test_an_excel_resave_with_a_broken_preamble_and_semicolons_loads():
    text = "Notes:;;\n;;\n" + HEADER.replace(",", ";") + "Ana;P;;;X;Y;5-Jan-26\r\n"
    frame = read_connections(text.encode("cp1252")).frame
    assert str(frame["connected_on"][0]) == "2026-01-05"


# ---- format years (linkedin-formats.md 2.2, 3.2, 4.1) ----


def test_a_2018_connections_file_has_no_url_and_us_dates_with_times():
    data = (
        b"First Name,Last Name,Email Address,Company,Position,Connected On\n"
        b'Ana,Pereira,urn:li:member:664293716,Acme,CTO,"1/8/18, 6:14 PM"\n'
    )
    frame = read_connections(data).frame
    assert str(frame["connected_on"][0]) == "2018-01-08"
    assert frame["profile_url"].to_list() == [None]


def test_invitations_before_2024_have_no_url_columns():
    data = b'From,To,Sent At,Message,Direction\nMaria Silva,Ken Ito,"8/26/22, 8:56 PM",,OUTGOING\n'
    frame = parse_invitations(data, source="Invitations.csv").frame
    assert frame.select("invitee_name", "invitee_url").row(0) == ("Ken Ito", None)


@pytest.mark.parametrize(
    "header,row",
    [
        (
            "From,To,Date,Subject,Content,Direction,Folder",
            'Ana,Maria,"10/16/18, 8:36 AM",,Hello,INCOMING,INBOX',
        ),
        ("FROM,TO,DATE,SUBJECT,CONTENT,DIRECTION,FOLDER", "Ana,Maria,2019-11-06T02:08:20,,Hi,,"),
        (
            "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,"
            "CONTENT,FOLDER",
            "c1,,Ana,https://www.linkedin.com/in/ana,Maria,2022-09-08 18:08:14 UTC,,Hi,INBOX",
        ),
        (
            "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE "
            "URLS,DATE,SUBJECT,CONTENT,FOLDER,ATTACHMENTS,IS MESSAGE DRAFT",
            "c1,,Ana,https://www.linkedin.com/in/ana,Maria,https://www.linkedin.com/in/maria,"
            "2025-11-17 22:05:06 UTC,,Hi,INBOX,,No",
        ),
    ],
    ids=["2018", "2020", "2022", "2025"],
)
def test_every_messages_header_variant_loads(header, row):
    frame = parse_messages(f"{header}\n{row}\n".encode(), source="messages.csv").frame
    assert frame.height == 1
    assert frame["sent_at"][0] is not None
    # Before 2022 there are no URLs at all: that is not a sponsored message.
    assert frame["is_sponsored"].to_list() == [False]


# ---- weak keys ----


def test_a_weak_key_takes_the_key_of_the_one_known_person_with_that_name_and_company():
    import polars as pl

    from transforms.identity import link_weak_keys

    people = pl.DataFrame(
        {
            "person_key": ["name:ana pereira|acme", "name:bo lee|x", "ken-ito"],
            "full_name": ["Ana  Pereira", "Bo Lee", "Ken Ito"],
            "company": ["ACME", "X", "Y"],
        }
    )
    known = pl.DataFrame(
        {
            "person_key": ["ana-pereira-1a2b", "bo-lee-1", "bo-lee-2", "ken-ito"],
            "full_name": ["Ana Pereira", "Bo Lee", "Bo Lee", "Ken Ito"],
            "company": ["Acme", "X", "X", "Y"],
        }
    )
    linked = link_weak_keys(people, known)
    # Two known "Bo Lee" at X: which one is unknowable, so the weak key stays.
    assert linked["person_key"].to_list() == ["ana-pereira-1a2b", "name:bo lee|x", "ken-ito"]
    moved = link_weak_keys(people.with_columns(pl.lit("Other").alias("company")), known)
    assert moved["person_key"][0] == "name:ana pereira|acme"


FOLLOWER_HEADER = "profileUrl,firstName,lastName,occupation,followedAt\n"


def followers(body: str) -> bytes:
    return (FOLLOWER_HEADER + body).encode()


def test_a_follower_list_whose_last_column_is_often_empty_loads():
    rows = "".join(
        f'https://www.linkedin.com/in/p{i},P,{i},"Founder, CEO",{"" if i % 2 else "2026-03-04"}\n'
        for i in range(50)
    )
    frame = parse_followers(followers(rows), source="followers.csv").frame
    assert frame.height == 50
    assert frame["followed_at"].null_count() == 25


def test_a_row_missing_its_last_field_among_empty_last_fields_names_the_row():
    rows = "https://www.linkedin.com/in/a,A,B,Founder,\nhttps://www.linkedin.com/in/b,B,C,CEO\n"
    with pytest.raises(ExportFormatError, match="has 4 fields where the header has 5") as error:
        parse_followers(followers(rows), source="followers.csv")
    assert error.value.row == 2


def test_a_short_row_is_found_even_when_another_row_has_a_comma_inside_quotes():
    rows = (
        'https://www.linkedin.com/in/a,A,B,"Founder, CEO",\nhttps://www.linkedin.com/in/b,B,C,CEO\n'
    )
    with pytest.raises(ExportFormatError) as error:
        parse_followers(followers(rows), source="followers.csv")
    assert error.value.row == 2


def test_a_file_that_is_utf8_at_the_top_and_cp1252_further_down_is_read_as_cp1252():
    rows = "".join(f"https://www.linkedin.com/in/p{i},P,{i},CEO,\n" for i in range(30))
    data = followers(rows) + "https://www.linkedin.com/in/j,Jörg,Ström,CEO,\n".encode("cp1252")
    table = parse_followers(data, source="followers.csv")
    assert table.frame["full_name"][-1] == "Jörg Ström"
    assert (table.encoding, table.resaved) == ("cp1252", True)


def test_a_blank_line_inside_a_follower_list_is_not_a_short_row():
    rows = "https://www.linkedin.com/in/a,A,B,CEO,\n\nhttps://www.linkedin.com/in/b,B,C,CTO,\n"
    frame = parse_followers(followers(rows), source="followers.csv").frame
    assert frame["profile_url"].drop_nulls().to_list() == [
        "https://www.linkedin.com/in/a",
        "https://www.linkedin.com/in/b",
    ]


def test_a_messages_file_resaved_as_cp1252_is_flagged_even_when_only_the_text_has_accents():
    header = (
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
        "DATE,SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT\n"
    )
    row = (
        "c1,,Ana P,https://www.linkedin.com/in/ana,Bo K,https://www.linkedin.com/in/bo,"
        '2026-01-01 10:00:00 UTC,,"Merci, à bientôt",INBOX,No,No\n'
    )
    table = parse_messages((header + row).encode("cp1252"), source="messages.csv")
    assert table.frame["sender_url"].to_list() == ["https://www.linkedin.com/in/ana"]
    assert (table.encoding, table.resaved) == ("cp1252", True)
