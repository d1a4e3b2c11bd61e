"""The HTML report: one self-contained file that opens in a real browser with every image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from digitnet import Network
from digitnet.cli import main
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.report import write_report
from digitnet.training import TrainingConfig, train

SECTIONS = ["summary", "curves", "per-digit", "confusion", "mistakes", "diagram", "weights",
            "features"]  # fmt: skip


@pytest.fixture(scope="module")
def trained() -> Network:
    """784-16-10 trained for two quick epochs on 2,000 images (so it has a history)."""
    m = load_mnist()
    net = Network([784, 16, 10], init="xavier", seed=7)
    config = TrainingConfig(
        epochs=2, batch_size=20, learning_rate=0.01, cost="cross_entropy", optimizer="adam"
    )
    train(
        net, m.train.images[:2000], m.train.labels[:2000], config,
        (m.train.images[-500:], m.train.labels[-500:]),
    )  # fmt: skip
    return net


@pytest.fixture(scope="module")
def report(trained: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    test = load_mnist().test
    path = tmp_path_factory.mktemp("report") / "small.html"
    write_report(trained, path, "small net", images=test.images[:2000], labels=test.labels[:2000])
    return path


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    sources = re.findall(r'<img src="([^"]+)"', text)
    assert len(sources) >= 7
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(src|href)="(?!data:|#)', text)  # nothing external
    assert "<script" not in text and "<link" not in text
    for ident in SECTIONS:
        assert f'id="{ident}"' in text
    assert "small net" in text and "784-16-10" in text
    assert sorted(p.name for p in report.parent.iterdir()) == ["small.html"]  # atomic write


@pytest.mark.browser
def test_report_opens_in_a_browser_with_every_image(report: Path, page: Page) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) >= 7
    assert all(complete and width > 100 and height > 100 for complete, width, height in images)
    headings = page.locator("section h2").all_inner_texts()
    assert headings[:5] == [
        "Summary", "Training curves", "Accuracy per digit", "Confusion matrix", "Mistakes"
    ]  # fmt: skip
    for ident in SECTIONS:
        assert page.locator(f"section#{ident}").count() == 1
    assert page.locator("#per-digit tbody tr").count() == 10
    assert page.title() == "digitnet report: small net"
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_report_of_a_model_without_history_says_so(tmp_path: Path) -> None:
    test = load_mnist().test
    net = Network([784, 10], seed=1)
    path = write_report(
        net, tmp_path / "r.html", images=test.images[:300], labels=test.labels[:300]
    )
    text = path.read_text(encoding="utf-8")
    assert "no training history" in text
    assert 'id="features"' not in text  # no hidden layer, nothing to look for
    assert 'id="weights"' in text


def test_report_checks_its_path(trained: Network, tmp_path: Path) -> None:
    with pytest.raises(DigitnetError, match=r"\.html"):
        write_report(trained, tmp_path / "report.pdf")
    with pytest.raises(DigitnetError, match="does not exist"):
        write_report(trained, tmp_path / "missing" / "report.html")


def test_report_command(
    trained: Network, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = trained.save(tmp_path / "m.safetensors")
    out = tmp_path / "out.html"
    assert main(["report", str(model), "-o", str(out), "--no-features"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    assert "digitnet report: m" in text and 'id="features"' not in text
    assert len(re.findall(r"<img ", text)) >= 6
    assert main(["report", str(model), "-o", str(tmp_path / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("digitnet: error:") and err.count("\n") == 1


def test_the_report_of_an_upright_reader_counts_its_mistakes_as_its_accuracy() -> None:
    """The shipped `video` learnt MNIST's digits stood upright: the report's mistakes, its
    "surest mistake" and its accuracy all read the test digits that way, so they agree."""
    from digitnet import load_pretrained
    from digitnet.report import report_html

    test = load_mnist().test
    x, y = test.images[:1000], test.labels[:1000]
    text = report_html(load_pretrained("video"), "video", images=x, labels=y, features=False)
    accuracy = re.search(r"accuracy (\d+\.\d+)% on 1,000 test digits", text)
    misread = re.search(r"(\d+) of 1,000 test digits misread", text)
    assert accuracy and misread, "the report states both"
    assert int(misread.group(1)) == round(1000 * (1 - float(accuracy.group(1)) / 100))
