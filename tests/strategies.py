"""Hypothesis strategies for condition values, ARNs and contexts, shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

ACCOUNTS = ["111122223333", "444455556666", "999988887777"]
REGIONS = ["us-east-1", "eu-west-1", ""]
SERVICES = ["sns", "sqs", "s3", "cloudtrail"]

plain_text = st.text(alphabet="ab:/-1", max_size=8)
"""Short strings over an alphabet that makes collisions and separators likely."""

glob_pattern = st.text(alphabet="ab:/-1*?", max_size=8)


@st.composite
def arns(draw: st.DrawFn) -> str:
    service = draw(st.sampled_from(SERVICES))
    region = draw(st.sampled_from(REGIONS))
    account = draw(st.sampled_from([*ACCOUNTS, ""]))
    resource = draw(st.text(alphabet="ab:/-", min_size=1, max_size=6))
    return f"arn:aws:{service}:{region}:{account}:{resource}"


@st.composite
def arn_patterns(draw: st.DrawFn) -> str:
    """An ARN whose region/account/resource components may hold wildcards."""
    service = draw(st.sampled_from(SERVICES))
    region = draw(st.sampled_from([*REGIONS, "*", "us-*"]))
    account = draw(st.sampled_from([*ACCOUNTS, "*", "4444*", "?" * 12]))
    resource = draw(st.text(alphabet="ab:/-*?", min_size=1, max_size=6))
    return f"arn:aws:{service}:{region}:{account}:{resource}"


org_paths = st.lists(
    st.sampled_from(
        [
            "o-aaaaaaaaaa/r-ab12/ou-ab12-11111111/",
            "o-aaaaaaaaaa/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
            "o-bbbbbbbbbb/r-cd34/ou-cd34-33333333/",
            "",
        ]
    ),
    max_size=3,
)
