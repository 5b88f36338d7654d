"""Capture the screenshots in this folder from a running demo (`./run demo --port 8123`).

    uv run python docs/screenshots/capture.py http://localhost:8123

Each page is taken at 1024×768, the field tablets' size, with Debian's Chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "liaison-demo-2026"  # noqa: S105 - the published demo password
SHOTS = [
    # (file, user, path, full page)
    ("home-vi.png", "lan.customs.mocbai", "/", False),
    ("blo-moc-bai-vi.png", "lan.customs.mocbai", "/registry/blos/VN-MOCBAI/", False),
    ("blo-moc-bai-en.png", "dara.police.bavet", "/registry/blos/VN-MOCBAI/", False),
    ("exchange-dashboard-vi.png", "lan.customs.mocbai", "/exchange/", True),
    ("network-en.png", "programme", "/registry/", False),
    ("survey-rounds-en.png", "programme", "/surveys/", False),
    ("training-home-vi.png", "mai.army.cautreo", "/training/", False),
    ("meetings-frequency-en.png", "programme", "/meetings/frequency/", True),
    # the 2010 baseline's results, cross-tabulated by BLO: every section closed, then one open
    ("survey-results-vi.png", "tuan.head.mocbai", "/surveys/rounds/1/results/?by=blo", True),
    ("survey-results-drugs-vi.png", "tuan.head.mocbai", "/surveys/rounds/1/results/?by=blo", False),
]
# What to click before the screenshot is taken.
CLICK_FIRST = {"survey-results-drugs-vi.png": "#contents a[href='#theme-drugs']"}


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, user, path, full in SHOTS:
            context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            if name in CLICK_FIRST:
                page.click(CLICK_FIRST[name])
            page.screenshot(path=str(HERE / name), full_page=full)
            context.close()
            print(f"{name}: {user} {path}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000")
