"""Tables and a plot from bench/reference.py's JSON lines (the last line of a run wins if it ran twice)."""

import json


def read(path):
    curves, summaries = {}, {}
    for line in open(path):
        record = json.loads(line)
        if "summary" in record:
            summaries[record["run"]] = record["summary"]
        else:
            curves.setdefault(record["run"], []).append((record["seconds"], record["test_bce"]))
    for run, points in curves.items():  # a rerun appends a second curve: keep the points of the last one
        restart = max((i for i in range(1, len(points)) if points[i][0] < points[i - 1][0]), default=0)
        curves[run] = points[restart:]
    return curves, summaries


def time_to_reach(points, target):
    return next((seconds for seconds, bce in points if bce <= target), None)


def print_tables(curves, summaries):
    floor = next(iter(summaries.values()))["floor"]
    print(f"BCE floor (mean binary entropy of the test images): {floor:.4f}\n")
    print("| run | code | params | epochs | train time | test BCE | excess over floor | MSE | PSNR (dB) | SSIM |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run, s in summaries.items():
        print(f"| {run} | {s['code_size']} | {s['params']:,} | {s['epochs']} | {s['seconds']:.0f} s | {s['bce']:.4f} "
              f"| {s['excess_bce']:.4f} | {s['mse']:.4f} | {s['psnr']:.2f} | {s['ssim']:.3f} |")
    references = [run for run in summaries if run.startswith("ref-")]
    projects = [run for run in summaries if not run.startswith("ref-")]
    print("\nTime for each project run to reach each reference's final test BCE (ratio = that time / the reference's):\n")
    print("| reference (final BCE, time) | " + " | ".join(projects) + " |")
    print("|---|" + "---|" * len(projects))
    for reference in references:
        target, total = summaries[reference]["bce"], summaries[reference]["seconds"]
        cells = []
        for run in projects:
            reached = time_to_reach(curves.get(run, []), target)
            cells.append("not reached" if reached is None else f"{reached:.0f} s ({reached / total:.2f}x)")
        print(f"| {reference} ({target:.4f}, {total:.0f} s) | " + " | ".join(cells) + " |")
    print("\nExcess BCE at equal code size: the best project run against each reference (target: ratio <= 0.5):\n")
    print("| reference | its excess | best project run, same code size | its excess | ratio |\n|---|---|---|---|---|")
    for reference in references:
        size = summaries[reference]["code_size"]
        same = [run for run in projects if summaries[run]["code_size"] == size]
        if not same:
            print(f"| {reference} | {summaries[reference]['excess_bce']:.4f} | no project run with code {size} | | |")
            continue
        best = min(same, key=lambda run: summaries[run]["excess_bce"])
        ratio = summaries[best]["excess_bce"] / summaries[reference]["excess_bce"]
        print(f"| {reference} | {summaries[reference]['excess_bce']:.4f} | {best} | {summaries[best]['excess_bce']:.4f} | {ratio:.2f} |")


def plot(curves, summaries, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=120)
    for run, points in curves.items():
        style = "--" if run.startswith("ref-") else "-"
        axes.plot([max(p[0], 0.1) for p in points], [p[1] for p in points], style, label=run)
    floor = next(iter(summaries.values()))["floor"]
    axes.axhline(floor, color="black", linewidth=0.8, label=f"floor {floor:.4f}")
    axes.set_xscale("log")
    axes.set_ylim(floor - 0.005, 0.36)
    axes.set_xlabel("training wall time (s, log scale; test scoring excluded)")
    axes.set_ylabel("test BCE")
    axes.set_title("Test BCE against training time: write-up recipes (dashed) vs project defaults")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    print(f"\nplot: {path}")


def main(path, plot_path):
    curves, summaries = read(path)
    print_tables(curves, summaries)
    plot(curves, summaries, plot_path)
