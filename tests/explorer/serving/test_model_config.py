"""A --model_config_file opened as TF Serving opens it: the cases of TF Serving's own tests
and docs, each cited.

- ``file_system_storage_path_source_test.cc``: which versions each policy serves.
- ``server_core_test.cc``: duplicate names, relative paths, platforms, labels.
- ``g3doc/serving_config.md``: the config format, labels only on available versions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import ModelConfigError
from explorer.serving.model_config import read_model_config
from explorer.serving.version_policy import version_number


def _versions(base: Path, names: tuple[str, ...], *, saved: bool = True) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    for name in names:
        (base / name).mkdir()
        if saved and name != "non_numerical_child":
            (base / name / "saved_model.pb").write_bytes(b"")
    return base


def _config(tmp_path: Path, body: str) -> Path:
    file = tmp_path / "models.config"
    file.write_text(f"model_config_list {{ {body} }}", encoding="utf-8")
    return file


def _one(tmp_path: Path, base: Path, extra: str = "", *, name: str = "m") -> str:
    return f"config {{ name: '{name}' base_path: '{base}' model_platform: 'tensorflow' {extra} }}"


CHILDREN = ("non_numerical_child", "42", "33", "30", "21", "17")


@pytest.mark.parametrize(
    ("policy", "served"),
    [
        # DefaultVersionPolicy: no policy serves the latest version only.
        ("", (42,)),
        # DefaultNumLatestVersions: latest {} without num_versions serves 1.
        ("model_version_policy { latest { } }", (42,)),
        # NLatestVersions: num_versions: 3 → 42, 33, 30.
        ("model_version_policy { latest { num_versions: 3 } }", (30, 33, 42)),
        # SpecificVersions: 17 and 30.
        ("model_version_policy { specific { versions: 17 versions: 30 } }", (17, 30)),
        # MultipleVersionsAtTheSameTime: all {} serves every numeric child.
        ("model_version_policy { all { } }", (17, 21, 30, 33, 42)),
    ],
    ids=["default", "latest-default", "latest-3", "specific", "all"],
)
def test_version_policies_serve_what_tf_serving_serves(
    tmp_path: Path, policy: str, served: tuple[int, ...]
) -> None:
    base = _versions(tmp_path / "m", CHILDREN)
    config = read_model_config(_config(tmp_path, _one(tmp_path, base, policy)))
    (model,) = config.models
    assert model.served_versions == served
    assert [f.version for f in model.on_disk] == [17, 21, 30, 33, 42]  # not the non-numeric
    assert config.starts


def test_specific_versions_with_leading_zeros(tmp_path: Path) -> None:
    # SpecificVersionsLeadingZeros: "00017" is version 17 (strtod's reading).
    base = _versions(tmp_path / "m", ("non_numerical_child", "42", "33", "30", "21", "00017"))
    body = _one(tmp_path, base, "model_version_policy { specific { versions: 17 versions: 30 } }")
    (model,) = read_model_config(_config(tmp_path, body)).models
    assert [(f.version, f.name) for f in model.served] == [(17, "00017"), (30, "30")]


def test_specific_versions_empty_serves_nothing(tmp_path: Path) -> None:
    # SpecificVersionsEmpty, and its LOG(WARNING).
    base = _versions(tmp_path / "m", CHILDREN)
    config = read_model_config(
        _config(tmp_path, _one(tmp_path, base, "model_version_policy { specific { } }"))
    )
    assert config.models[0].served == ()
    assert [p.message for p in config.problems] == [
        "No specific versions requested for servable m."
    ]
    assert not config.starts  # TF Serving waits for the model forever


def test_a_specific_version_not_on_disk_is_warned_about(tmp_path: Path) -> None:
    base = _versions(tmp_path / "m", ("1", "2"))
    body = _one(tmp_path, base, "model_version_policy { specific { versions: 2 versions: 5 } }")
    config = read_model_config(_config(tmp_path, body))
    assert config.models[0].served_versions == (2,)
    (problem,) = config.problems
    assert problem.severity == "warning"
    assert problem.message == (
        "Version 5 of servable m, which was requested to be served as a 'specific' version in "
        "the servable's version policy, was not found in the file system"
    )


def test_timestamped_versions_are_int64(tmp_path: Path) -> None:
    # ParseTimestampedVersion: 20170111173521 overflows int32, not int64.
    base = _versions(tmp_path / "m", ("20170111173521",))
    (model,) = read_model_config(_config(tmp_path, _one(tmp_path, base))).models
    assert model.served_versions == (20170111173521,)


def test_duplicate_version_directories(tmp_path: Path) -> None:
    # DuplicateVersions: "0001", "001", "00001" are all version 1; one is loaded.
    base = _versions(tmp_path / "m", ("non_numerical_child", "0001", "001", "00001"))
    config = read_model_config(_config(tmp_path, _one(tmp_path, base)))
    assert config.models[0].served_versions == (1,)
    assert all(
        p.message.startswith("Duplicate version directories detected.") for p in config.problems
    )


def test_version_numbers_are_read_as_simple_atoi_reads_them() -> None:
    assert version_number("00000123") == 123
    assert version_number("-1") == -1
    assert version_number(" 7") == 7
    assert version_number("7a") is None
    assert version_number("²") is None
    assert version_number(str(2**63)) is None


def test_no_numeric_children_is_tf_servings_warning(tmp_path: Path) -> None:
    # NoVersionsAtStartup and its LOG line.
    base = _versions(tmp_path / "m", ("non_numerical_child",))
    config = read_model_config(_config(tmp_path, _one(tmp_path, base)))
    (problem,) = config.problems
    assert problem.message == (
        f"No versions of servable m found under base path {base}. Did you forget to name "
        "your leaf directory as a number (eg. '/1/')?"
    )
    assert not config.starts


def test_a_missing_base_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    config = read_model_config(_config(tmp_path, _one(tmp_path, missing)))
    (problem,) = config.problems
    assert problem.code == "INVALID_ARGUMENT"
    assert problem.message == (
        f"Could not find base path {missing} for servable m with error NOT_FOUND: {missing} "
        "not found"
    )


def test_a_served_version_without_a_saved_model(tmp_path: Path) -> None:
    base = _versions(tmp_path / "m", ("3",), saved=False)
    (problem,) = read_model_config(_config(tmp_path, _one(tmp_path, base))).problems
    assert problem.message.startswith(
        f"Could not find SavedModel .pb or .pbtxt at supplied export directory path: {base / '3'}"
    )


def test_duplicate_model_name(tmp_path: Path) -> None:
    # DuplicateModelNameInConfig (server_core.cc ValidateModelConfigList).
    base = _versions(tmp_path / "m", ("1",))
    config = read_model_config(_config(tmp_path, _one(tmp_path, base) + _one(tmp_path, base)))
    assert config.problems[0].message == "Illegal to list model m multiple times in config list"
    assert config.problems[0].code == "INVALID_ARGUMENT"


def test_relative_base_path(tmp_path: Path) -> None:
    # RelativePathFails: without --model_config_list_root_dir every base path is absolute.
    _versions(tmp_path / "rel", ("1",))
    config = read_model_config(_config(tmp_path, _one(tmp_path, Path("rel"))))
    assert config.problems[0].message == (
        "Expected model m to have an absolute path or URI; got base_path()=rel"
    )
    # Looked up beside the config file, so it can still be explored.
    assert config.models[0].served_versions == (1,)


@pytest.mark.parametrize(
    ("platform", "message"),
    [
        (
            "",
            "Illegal setting neither ModelServerConfig::model_type (deprecated) nor "
            "ModelServerConfig::model_platform, model name is m",
        ),
        # UnknownModelPlatform.
        (
            "model_platform: 'not_a_known_platform'",
            "Model m requests unsupported platform not_a_known_platform",
        ),
        # IllegalConfigModelTypeAndPlatformSet.
        (
            "model_type: TENSORFLOW model_platform: 'tensorflow'",
            "Illegal setting both ModelServerConfig::model_type (deprecated) and "
            "ModelServerConfig::model_platform, model name is m",
        ),
    ],
    ids=["none", "unknown", "both"],
)
def test_platforms(tmp_path: Path, platform: str, message: str) -> None:
    base = _versions(tmp_path / "m", ("1",))
    file = _config(tmp_path, f"config {{ name: 'm' base_path: '{base}' {platform} }}")
    errors = [p.message for p in read_model_config(file).errors]
    assert errors == [message]


def test_deprecated_model_type_still_serves(tmp_path: Path) -> None:
    # DeprecatedModelTypeConfig: model_type TENSORFLOW works, with a warning.
    base = _versions(tmp_path / "m", ("1",))
    config = read_model_config(
        _config(tmp_path, f"config {{ name: 'm' base_path: '{base}' model_type: TENSORFLOW }}")
    )
    assert config.starts
    assert config.models[0].platform == "tensorflow"
    assert config.problems[0].message.startswith("Deprecated ModelServerConfig::model_type")


LABELS = (
    "model_version_policy { specific { versions: 42 versions: 43 } } "
    "version_labels { key: 'stable' value: 42 } version_labels { key: 'canary' value: 43 }"
)


def test_labels_from_the_docs_need_the_flag_at_start_up(tmp_path: Path) -> None:
    # serving_config.md's stable/canary example: labels may only point at AVAILABLE
    # versions, and at start-up none is (AssignLabelToUnavailableVersion's message).
    base = _versions(tmp_path / "m", ("42", "43"))
    file = _config(tmp_path, _one(tmp_path, base, LABELS))
    refused = read_model_config(file)
    assert [p.code for p in refused.errors] == ["FAILED_PRECONDITION"] * 2
    assert refused.errors[0].message == (
        "Request to assign label to version 43 of model m, which is not currently available "
        "for inference"
    )
    allowed = read_model_config(file, allow_labels_for_unavailable=True)
    assert allowed.starts
    model = allowed.models[0]
    assert {(lb.label, lb.version, lb.served) for lb in model.labels} == {
        ("stable", 42, True),
        ("canary", 43, True),
    }
    assert model.labels_of(43) == ("canary",)


def test_a_label_on_a_version_not_served(tmp_path: Path) -> None:
    # AssignLabelToUnavailableVersion(Allowed): refused without the flag; with it, accepted
    # but requests through the label find no servable.
    base = _versions(tmp_path / "m", ("42", "43", "44"))
    extra = LABELS.replace("value: 43", "value: 44")
    file = _config(tmp_path, _one(tmp_path, base, extra))
    label = next(lb for lb in read_model_config(file).models[0].labels if lb.label == "canary")
    assert not label.served
    allowed = read_model_config(file, allow_labels_for_unavailable=True)
    (problem,) = allowed.problems
    assert (problem.severity, problem.code) == ("warning", "NOT_FOUND")
    assert problem.message == "Servable not found for request: Specific(m, 44)"


def test_a_label_rest_cannot_address(tmp_path: Path) -> None:
    # serving_config.md: REST labels are [a-zA-Z0-9_]+ ("nice try" of server_core_test.cc).
    base = _versions(tmp_path / "m", ("1",))
    file = _config(tmp_path, _one(tmp_path, base, "version_labels { key: 'nice try' value: 1 }"))
    config = read_model_config(file, allow_labels_for_unavailable=True)
    assert not config.models[0].labels[0].rest_addressable
    assert config.problems[0].message.startswith('Label "nice try" cannot be used over REST')


def test_an_unparsable_file_is_tf_servings_invalid_protobuf_file(tmp_path: Path) -> None:
    file = tmp_path / "bad.config"
    file.write_text("model_config_list { config { nam: 'x' } }", encoding="utf-8")
    with pytest.raises(ModelConfigError, match=r"^Invalid protobuf file: '.*bad\.config'"):
        read_model_config(file)


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="Cannot read the model config"):
        read_model_config(tmp_path / "missing.config")


def test_an_empty_config_takes_no_action(tmp_path: Path) -> None:
    file = tmp_path / "empty.config"
    file.write_text("# nothing yet\n", encoding="utf-8")
    config = read_model_config(file)
    assert config.models == ()
    assert config.problems[0].message == "Taking no action for empty config."


def test_a_base_path_that_may_not_be_opened_is_not_touched(tmp_path: Path) -> None:
    base = _versions(tmp_path / "m", ("1",))
    seen: list[Path] = []

    def may_open(path: Path) -> bool:
        seen.append(path)
        return False

    file = _config(tmp_path, _one(tmp_path, base, "version_labels { key: 'a' value: 1 }"))
    config = read_model_config(file, allow_labels_for_unavailable=True, may_open=may_open)
    (model,) = config.models
    assert seen == [base]
    assert model.on_disk == ()
    assert model.directory is None
    (problem,) = config.problems  # the label is not judged against a folder not looked at
    assert "outside the folders Signature Explorer may open here" in problem.message
