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
