"""Peak memory (RSS) of the dashboard server with the 70,000-image dataset and five models loaded (issue #5, part 3).

Usage: python bench/memory.py --store DIR [--dataset fashion_mnist]
Starts the app (`streamlit run server.py`) with that store (five or more models, e.g. from scripts/showcase_store.sh),
opens every explore page with every model in Debian's Chromium, and prints the server's resident memory
after each step and its peak (VmHWM) at the end.
"""

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aecore.store import modelstore  # noqa: E402
from scripts import serve  # noqa: E402

PAGES = ("reconstructions", "feature_maps", "latent_map", "latent_sampler", "denoise")


def memory_mib(pid: int) -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--dataset", default="fashion_mnist")
    arguments = parser.parse_args()
    names = modelstore.ModelStore(arguments.store).names()
    process, url = serve.start(arguments.store, arguments.dataset, timeout=120)
    print(f"{len(names)} models: {', '.join(names)}; dataset {arguments.dataset}")
    print(f"server started: {memory_mib(process.pid)['VmRSS']:.0f} MiB")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in names:
                for path in PAGES:
                    page.goto(f"{url}/{path}")
                    page.locator("[data-testid=stMain] h1").first.wait_for(timeout=120_000)
                    serve.pick_model(page, f"{name} ·")
                    time.sleep(20 if path == "latent_map" else 6)  # t-SNE and the model load settle
                print(f"after every page with {name}: {memory_mib(process.pid)['VmRSS']:.0f} MiB", flush=True)
            browser.close()
        print(f"peak RSS (VmHWM): {memory_mib(process.pid)['VmHWM']:.0f} MiB")
    finally:
        serve.stop(process)


if __name__ == "__main__":
    main()
