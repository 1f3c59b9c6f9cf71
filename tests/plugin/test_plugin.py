"""The pytest plugin, tested from the outside with pytester."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_contract_fixture_gives_the_default_observed_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_profile(contract):
            assert contract.profile == "observed"
            assert "429" in contract.documented_statuses
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_profile_option_and_ini_key_with_the_command_line_winning(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncontract_profile = documented\n")
    pytester.makepyfile(
        """
        import sys
        def test_profile(contract):
            print("PROFILE=" + contract.profile)
        """
    )
    pytester.runpytest("-s").stdout.fnmatch_lines(["*PROFILE=documented*"])
    pytester.runpytest("-s", "--contract-profile", "observed").stdout.fnmatch_lines(["*PROFILE=observed*"])


def test_unknown_profile_is_a_usage_error_listing_the_choices(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncontract_profile = live\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*contract_profile = 'live' is not a profile; choose one of: documented, observed*"]
    )


def test_command_line_rejects_an_unknown_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--contract-profile", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'nope'*"])


def test_spec_option_points_at_another_document(pytester: pytest.Pytester, tmp_path: Path) -> None:
    document = json.loads((ROOT / "openapi" / "aimlapi-qwen3-vl-32b-thinking.json").read_text())
    schema = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    schema["properties"]["model"]["enum"] = ["alibaba/qwen3-vl-8b-thinking"]
    spec = tmp_path / "other-model.json"
    spec.write_text(json.dumps(document))
    pytester.makepyfile(
        """
        def test_models(contract):
            assert contract.models == ["alibaba/qwen3-vl-8b-thinking"]
        """
    )
    pytester.runpytest("--contract-spec", str(spec)).assert_outcomes(passed=1)


def test_a_broken_spec_is_a_usage_error_naming_the_file_not_a_traceback(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.0.0\npaths: [\n")
    pytester.makepyfile("def test_x(contract):\n    pass\n")
    result = pytester.runpytest_subprocess("--contract-spec", str(spec))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: contract-kit: {spec} at line 3, column 1: invalid YAML*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_assertion_helper_fails_with_a_readable_violation_list(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_bad_response(contract):
            contract.assert_response({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                                      "choices": [{"index": 0, "finish_reason": "done",
                                                   "message": {"role": 5, "content": "hi"}}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}})
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ContractViolationError: response breaks the 'observed' contract:*",
            "*[[]response[]] $.choices[[]0[]].finish_reason:*(rule: enum)*",
            "*[[]response[]] $.choices[[]0[]].message.role:*(rule: type)*",
            "*[[]response[]] $.usage.total_tokens: total_tokens 3 != prompt_tokens 1 + completion_tokens 1*",
        ]
    )


# What the plugin imports on a run that never uses the kit: the wiring, its settings, and the foundation.
PLUGIN_LOAD_SET = {
    "contract_kit",
    "contract_kit.plugin",
    "contract_kit.plugin.plugin",
    "contract_kit.plugin._config",
    "contract_kit.defaults",
    "contract_kit.errors",
}


def test_a_run_that_never_uses_the_kit_imports_nothing_but_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compare the modules loaded with the plugin and with ``-p no:contract_kit``: only the plugin differs."""
    pytester.makepyfile(
        """
        import json, os, sys
        def test_untouched():
            with open(os.environ["MODULES_OUT"], "w") as out:
                json.dump(sorted(sys.modules), out)
        """
    )
    loaded = {}
    for label, extra in (("with", []), ("without", ["-p", "no:contract_kit"])):
        out = pytester.path / f"{label}.json"
        monkeypatch.setenv("MODULES_OUT", str(out))
        pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra).assert_outcomes(passed=1)
        loaded[label] = set(json.loads(out.read_text()))
    added = loaded["with"] - loaded["without"]
    kit = {name for name in added if name == "contract_kit" or name.startswith("contract_kit.")}
    assert kit == PLUGIN_LOAD_SET, sorted(kit)
    assert len(kit) <= 6
    assert not (added - kit - {"enum"}), sorted(
        added - kit
    )  # nothing but the kit itself (and the stdlib enum)


def test_options_are_listed_in_their_own_help_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["contract-kit:*", "*--contract-spec*", "*--contract-profile*"])


@pytest.mark.skipif(shutil.which("contract-kit") is None, reason="console script not installed")
def test_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--trace-config", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*contract_kit*plugin*"])


def test_a_non_numeric_seed_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--contract-seed", "abc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*contract_seed = 'abc' is not a whole number*"])


def test_a_marker_with_an_unknown_profile_fails_that_test_with_a_marker_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chat_mock(profile="bogus")
        def test_x(chat_mock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*MarkerError: @pytest.mark.chat_mock(profile='bogus'): choose one of: documented, observed*"]
    )


def test_contract_suite_flag_adds_the_suite_to_the_users_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_mine():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "--contract-suite", "--contract-examples", "10", "-p", "no:cacheprovider", "-v"
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*::test_mine PASSED*",
            "*::test_valid_requests_get_conforming_answers PASSED*",
            "*::test_invalid_requests_get_4xx_error_bodies PASSED*",
            "*::test_stream_and_json_answers_agree PASSED*",
        ]
    )


def test_contract_examples_must_be_positive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--contract-examples", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*contract_examples = '0' is not a whole number > 0*"])
