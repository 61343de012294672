import pytest
from django.core import mail

from security.models import SecurityAnswer, SecurityEvent
from security.questions import QUESTIONS
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

URL = "/accounts/security/questions/"
GOOD = {
    "question_1": "first_dish",
    "answer_1": "Pancakes",
    "question_2": "first_video_game",
    "answer_2": "Tetris",
    "question_3": "swim_teacher",
    "answer_3": "Grandpa Joe",
    "current_password": MEMBER_PASSWORD,
}


@pytest.fixture
def newcomer(make_member):
    return make_member("nina", with_questions=False)


def test_it_sends_a_new_member_to_choose_questions_at_first_sign_in(client, newcomer):
    response = sign_in(client, "nina", MEMBER_PASSWORD)
    assert client.get(response["Location"])["Location"] == URL
    page = client.get(URL).content.decode()
    assert "Choose your security questions" in page
    for n in (1, 2, 3):
        assert f'<label for="id_question_{n}">Question {n}</label>' in page
        assert f'<label for="id_answer_{n}">Answer to question {n}</label>' in page
    assert all(text in page for text in QUESTIONS.values())
    assert client.get("/accounts/security/").status_code == 302


def test_it_saves_hashed_normalized_answers_and_lets_the_member_in(
    client, newcomer, django_capture_on_commit_callbacks
):
    client.force_login(newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, GOOD)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    rows = list(SecurityAnswer.objects.filter(member=newcomer).order_by("position"))
    assert [row.question for row in rows] == ["first_dish", "first_video_game", "swim_teacher"]
    assert all(row.answer_hash.startswith("md5$") for row in rows)  # the test hasher
    assert "Pancakes" not in str([row.answer_hash for row in rows])
    assert rows[2].answer_hash and event_kinds(member=newcomer) == [SecurityEvent.Kind.QUESTIONS_SET]
    assert [m.subject for m in mail.outbox] == ["Your security questions were changed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"question_2": "first_dish"}, "Choose three different questions."),
        ({"answer_2": "pancakes!"}, "Give a different answer to each question."),
        ({"answer_1": "ok"}, "Give an answer of at least 4 letters or digits."),
        ({"answer_1": "--- !!"}, "Give an answer of at least 4 letters or digits."),
        ({"answer_3": "my name is Nina ok"}, "An answer must not contain your username."),
        ({"answer_3": "Correct Horse, battery staple."}, "An answer must not contain your password."),
        ({"current_password": "not my password"}, "That is not your current password."),
        ({"answer_1": "x" * 1_000_000}, "Ensure this value has at most 200 characters"),
        ({"answer_1": "Pan\x00cakes"}, "Null characters are not allowed."),
        ({"question_1": "mothers_maiden_name"}, "Select a valid choice."),
    ],
)
def test_it_refuses_weak_or_bad_choices_and_saves_nothing(client, newcomer, change, message):
    client.force_login(newcomer)
    response = client.post(URL, {**GOOD, **change})
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert MEMBER_PASSWORD not in page
    assert not SecurityAnswer.objects.filter(member=newcomer).exists()


def test_it_counts_wrong_current_passwords_toward_the_freeze(client, newcomer):
    client.force_login(newcomer)
    for _ in range(5):
        client.post(URL, {**GOOD, "current_password": "guessing"})
    client.logout()
    assert sign_in(client, "nina", MEMBER_PASSWORD).status_code == 403


def test_it_lets_a_member_change_questions_from_security_settings(client, member):
    client.force_login(member)
    assert 'href="/accounts/security/questions/"' in client.get("/accounts/security/").content.decode()
    assert "Change your security questions" in client.get(URL).content.decode()
    response = client.post(URL, {**GOOD, "answer_3": "Aunt Rosa"})
    assert response["Location"] == "/accounts/security/"
    assert list(member.security_answers.values_list("question", flat=True)) == [
        "first_dish",
        "first_video_game",
        "swim_teacher",
    ]


def test_it_asks_again_when_support_requires_new_questions(client, member):
    member.must_choose_security_questions = True
    member.save()
    client.force_login(member)
    assert client.get("/")["Location"] == URL
    client.post(URL, GOOD)
    assert client.get("/").status_code == 200


def test_it_does_not_ask_staff_for_questions(client, make_member):
    staff = make_member("sam", with_questions=False, is_staff=True)
    client.force_login(staff)
    assert client.get("/")["Location"] == "/accounts/security/two-factor/setup/"  # their step is two-factor
