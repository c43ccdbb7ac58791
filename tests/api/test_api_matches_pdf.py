"""Issue's acceptance: a system that pulls a territory's indicators by the API gets exactly the
figures the monitoring report from the live registry prints for the same territory and date
(docs/architecture.md §13, docs/domain.md §6.1): one computation (``monitoring.live``) behind both."""

import shutil

import pytest
from django.core.management import call_command

from mentoring_portal.api import tokens
from monitoring.indicators import Value
from tests import factories as f
from tests.reports.test_live_report import flat, pdf_text, schools  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")
def test_the_api_gives_exactly_the_figures_of_the_pdf(client, schools, municipality, tmp_path):  # noqa: F811
    secret = tokens.token_create(name=f"Система {f.n()}", municipality=municipality)[1]
    response = client.get(
        "/api/v1/indicators/",
        {"territory": municipality.code, "as_of": "2022-12-16", "limit": "1000"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    own = [row for row in response.json()["results"] if row["territory"] == municipality.code]
    shares = [row for row in own if row["denominator"]]
    assert len(shares) >= 5 and any(row["numerator"] for row in shares)

    out = tmp_path / "report.pdf"
    call_command(
        "build_report", "monitoring-report", "--municipality", municipality.code, "--as-of", "16.12.2022",
        "--output", str(out),
    )  # fmt: skip
    text = pdf_text(out)
    for row in shares:  # «27,3 % (3 из 11)»: the API's numerator and denominator, the PDF's share of them
        share = flat(Value(row["numerator"], row["denominator"]).share())
        assert float(share.removesuffix(" %").replace(",", ".")) == float(row["value"]), row
        printed = f"{share} ({row['numerator']} из {row['denominator']})"
        assert printed in text, (row["indicator"], printed)
