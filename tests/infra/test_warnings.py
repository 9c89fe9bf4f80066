"""The pytest warning filter hides pulumi_aws's import-time noise, not deprecations we would act on."""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable

import pulumi_aws as aws
from _pytest.config import apply_warning_filters

from tests.infra import harness as h

CLASS_BODY_NOISE = (
    "aws.s3/bucketaclv2.BucketAclV2 has been deprecated in favor of aws.s3/bucketacl.BucketAcl",
    "s3.BucketV2 has been deprecated in favor of s3.Bucket",
)


def project_filters() -> list[str]:
    document = tomllib.loads((h.ROOT / "pyproject.toml").read_text())
    return list(document["tool"]["pytest"]["ini_options"]["filterwarnings"])


def caught_under_project_filters(trigger: Callable[[], object]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        apply_warning_filters(project_filters(), [])
        trigger()
    return [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_the_import_time_class_deprecations_are_hidden() -> None:
    def emit() -> None:
        for message in CLASS_BODY_NOISE:
            warnings.warn_explicit(
                message, DeprecationWarning, "bucket_acl_v2.py", 1, module="pulumi_aws.s3.bucket_acl_v2"
            )

    assert caught_under_project_filters(emit) == []


def test_a_deprecated_argument_we_pass_still_warns() -> None:
    """``acl`` on ``s3.Bucket`` is deprecated (use BucketAcl): a program passing it must hear so."""
    caught = caught_under_project_filters(lambda: aws.s3.BucketArgs(acl="private"))
    assert any("acl is deprecated" in str(w.message) for w in caught)


def test_the_same_message_from_our_own_code_is_not_hidden() -> None:
    """The filter is scoped to pulumi_aws's modules."""

    def emit() -> None:
        warnings.warn_explicit(CLASS_BODY_NOISE[1], DeprecationWarning, "cdn.py", 1, module="infra.cdn")

    assert len(caught_under_project_filters(emit)) == 1
