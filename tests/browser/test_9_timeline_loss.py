"""The Training timeline's loss chart stays inside its box (#35): on a one-epoch model, whose snapshots sit inside
the first epoch and so are drawn on a log scale ending at epoch 1, the curve ran off the chart's right edge and the
epoch cursor left it from epoch 0.26 on. Every frame is checked on the canvas's own pixels."""

import pytest
from browser_waits import pick_model, wait_until

from aecore.training import trainer

FRAMES_CHECK = """canvas => {
    const player = canvas.closest('.timeline-player').player, context = canvas.getContext('2d');
    const problems = [], ratio = player.ratio;
    for (let time = 0; time <= player.data.count - 1 + 1e-9; time += 0.125) {
        player.seek(time);
        const { left, right, cursor, end } = player.lossLayout, { width, height } = canvas;
        const pixels = context.getImageData(0, 0, width, height).data;
        const alpha = (x, y) => pixels[(y * width + x) * 4 + 3];
        const blue = (x, y) => { const i = (y * width + x) * 4;
            return pixels[i + 3] > 0 && pixels[i + 2] > 150 && pixels[i] < 120; };
        let outside = 0, cursorPixels = 0;
        for (let y = 0; y < height; y += 1) {
            for (let x = Math.ceil(right + 2 * ratio); x < width; x += 1) if (alpha(x, y)) outside += 1;
            for (let x = Math.max(0, Math.floor(cursor - ratio)); x <= Math.min(width - 1, cursor + ratio); x += 1)
                if (blue(x, y)) cursorPixels += 1;
        }
        if (cursor < left || cursor > right || end > right || outside || cursorPixels < 5)
            problems.push({ time, cursor, left, right, end, outside, cursorPixels });
    }
    return problems;
}"""


@pytest.fixture(scope="module")
def one_epoch(server, digits):
    from aecore.store.modelstore import ModelStore

    config = trainer.TrainConfig(epochs=1, batch_size=8, patience=0, snapshot_frames=12)  # as a quick-start model
    model = trainer.train("dense", digits, 8, None, config)
    assert model.snapshots["epochs"][0] < 0.1 and model.snapshots["epochs"][-1] == 1.0
    return ModelStore(server["store"]).save(model, "browser-one-epoch"), model.snapshots


def test_the_loss_chart_and_its_cursor_stay_inside_their_box_at_every_frame(server, page, one_epoch):
    entry, found = one_epoch
    page.goto(f"{server['url']}/timeline")
    pick_model(page, entry.name)
    player = page.locator(".timeline-player")
    wait_until(lambda: player.evaluate("root => Number(root.dataset.count)") == len(found["epochs"]), 120, 0.25,
               "every snapshot in the player")
    canvas = player.locator("canvas.loss")
    canvas.scroll_into_view_if_needed()
    problems = canvas.evaluate(FRAMES_CHECK)
    assert problems == [], problems[:5]
