"""The resident-ID check on the server (children.idnumber) and on the phone
(static/carecase/idnumber.js) give the answers of one shared file, tests/vectors/resident_ids.json:
each is tested against the file on its own, so they agree with each other."""

import datetime
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from children import idnumber

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "resident_ids.json"
SCRIPT = ROOT / "static" / "carecase" / "idnumber.js"
HARNESS = ROOT / "tests" / "vectors" / "run_idnumber.js"
DATA = json.loads(VECTORS.read_text(encoding="utf-8"))
TODAY = datetime.date.fromisoformat(DATA["today"])
CASES = DATA["cases"]
FIELDS = ("ok", "normalized", "birthDate", "gender", "masked", "code", "params")


def expected(case):
    return {key: case[key] for key in FIELDS if key in case}


def python_answer(value):
    try:
        facts = idnumber.parse(value, TODAY)
    except ValidationError as exc:
        return {"ok": False, "code": exc.code, "params": exc.params or {}}
    return {
        "ok": True,
        "normalized": facts.number,
        "birthDate": facts.birth_date.isoformat(),
        "gender": facts.gender,
        "masked": idnumber.mask(facts.number),
    }


def test_the_vectors_cover_every_refusal_and_both_genders():
    assert len(CASES) >= 30
    assert len({case["name"] for case in CASES}) == len(CASES)
    assert {case["code"] for case in CASES if not case["ok"]} == set(idnumber.ERROR_MESSAGES)
    assert {case["gender"] for case in CASES if case["ok"]} == {"M", "F"}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_validator(case):
    assert python_answer(case["input"]) == expected(case)


@pytest.fixture(scope="module")
def node():
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install node (.ci/run installs Debian's nodejs)")
        pytest.skip("no node on this machine (apt-get install -y nodejs): the JS check is untested")
    return found


def run_js(node, tmp_path, messages):
    catalogue = tmp_path / "messages.json"
    catalogue.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [node, str(HARNESS), str(SCRIPT), str(VECTORS), str(catalogue)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def js(node, tmp_path_factory):
    with translation.override("zh-hans"):
        messages = idnumber.error_messages()
    return run_js(node, tmp_path_factory.mktemp("idjs"), messages)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case["name"] for case in CASES])
def test_javascript_check(js, index):
    case = CASES[index]
    got = js["results"][index]
    assert got["name"] == case["name"]
    result = dict(got["result"])
    if result["ok"]:
        assert result.pop("areaCode") == case["normalized"][:6]
    else:
        assert result["code"] in js["codes"]
    assert result == expected(case)


def test_the_phone_shows_the_servers_chinese_message(js):
    """CareCaseId.message with the catalogue the page renders gives, for every refused vector,
    the very message the server's ValidationError carries."""
    seen = 0
    for case, got in zip(CASES, js["results"], strict=True):
        if case["ok"]:
            assert got["message"] == ""
            continue
        with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
            idnumber.parse(case["input"], TODAY)
        assert got["message"] == exc.value.messages[0]
        assert re.search(r"[\u4e00-\u9fff]", got["message"]), got["message"]
        seen += 1
    assert seen >= 20


def test_the_codes_are_the_same_on_both_sides(js):
    assert js["codes"] == list(idnumber.ERROR_MESSAGES)


def test_the_phone_reads_digits_as_python_does(js):
    """The JS table of Unicode decimal-digit runs is the one of this Python (\\d and int())."""
    digits = [cp for cp in range(0x110000) if re.match(r"\d", chr(cp))]
    runs: list[list[int]] = []
    for cp in digits:
        if runs and cp == runs[-1][0] + runs[-1][1]:
            runs[-1][1] += 1
        else:
            runs.append([cp, 1])
    assert js["digitRuns"] == runs
    assert all(
        int(chr(cp)) == (cp - start) % 10 for start, n in runs for cp in range(start, start + n)
    )


def test_the_codes_and_messages_of_the_validator():
    with translation.override("zh-hans"):
        messages = idnumber.error_messages()
    assert list(messages) == [
        "id_float",
        "id_length",
        "id_characters",
        "id_date",
        "id_date_impossible",
        "id_checksum",
    ]
    with translation.override("en"):
        english = idnumber.error_messages()
    for code, message in messages.items():
        assert message != english[code], code  # translated
        assert re.findall(r"%\(\w+\)[sd]", message) == re.findall(r"%\(\w+\)[sd]", english[code])


def test_the_template_tag_renders_the_catalogue_as_json():
    with translation.override("zh-hans"):
        html = Template('{% load resident_id %}{% id_error_messages "id-messages" %}').render(
            Context()
        )
        expected_messages = idnumber.error_messages()
    match = re.fullmatch(r'<script id="id-messages" type="application/json">(.*)</script>', html)
    assert match, html
    assert json.loads(match.group(1)) == expected_messages
    assert expected_messages["id_checksum"] == "身份证号校验位错误：请逐位核对。"
