// Opens the viewer in Debian's Chromium (headless) as a person would and prints what it saw as JSON:
// node viewer-check.mjs BASE_URL ITEM_ID HOT_X HOT_Y COOL_X COOL_Y SCREENSHOT.png
import { chromium } from "playwright-core";

const [base, id, hotX, hotY, coolX, coolY, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.AMIL_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const result = { consoleErrors: [], failedRequests: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (m) => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => result.consoleErrors.push(String(e)));
  page.on("requestfailed", (r) => result.failedRequests.push(r.url()));
  page.on("response", (r) => { if (r.status() >= 400) result.failedRequests.push(`${r.status()} ${r.url()}`); });

  await page.goto(base);
  await page.waitForSelector("#items tbody tr");
  result.indexRows = await page.locator("#items tbody tr").count();

  const opened = Date.now();
  await page.goto(`${base}item/${id}`);
  await page.waitForFunction(() => window.amilFirstTileMs !== undefined, null, { timeout: 20000 });
  result.firstTileMs = await page.evaluate(() => window.amilFirstTileMs);
  result.firstTileWallMs = Date.now() - opened;
  const settle = async () => page.waitForFunction(() => {
    const w = window.amilViewer && window.amilViewer.world;
    if (!w || w.getItemCount() < 2) return false;
    for (let i = 0; i < w.getItemCount(); i++) if (!w.getItemAt(i).getFullyLoaded()) return false;
    return true;
  }, null, { timeout: 20000 });
  await settle();
  await page.waitForTimeout(300);

  const screen = (x, y) => page.evaluate(([x, y]) => {
    const v = window.amilViewer;
    const p = v.world.getItemAt(0).imageToViewerElementCoordinates(new OpenSeadragon.Point(x, y));
    return { x: p.x, y: p.y };
  }, [Number(x), Number(y)]);
  const pixel = (p) => page.evaluate(([x, y]) => {
    const canvas = window.amilViewer.drawer.canvas;
    const ratio = canvas.width / canvas.clientWidth;
    const d = canvas.getContext("2d").getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, [p.x, p.y]);
  const hot = await screen(hotX, hotY), cool = await screen(coolX, coolY);
  result.hot = await pixel(hot);
  result.cool = await pixel(cool);
  await page.screenshot({ path: screenshot });
  // The same pixels with the map at opacity 0: what the overlay added there.
  await page.evaluate(() => {
    const slider = document.getElementById("opacity");
    slider.value = "0";
    slider.dispatchEvent(new Event("input"));
    window.amilViewer.forceRedraw();
  });
  await page.waitForTimeout(500);
  result.hotBase = await pixel(hot);
  result.coolBase = await pixel(cool);
  await page.evaluate(() => {
    const slider = document.getElementById("opacity");
    slider.value = "0.5";
    slider.dispatchEvent(new Event("input"));
    window.amilViewer.forceRedraw();
  });

  // Another layer, then a click on the hot patch: the panel reads its values.
  await page.selectOption("#layer", "map");
  await page.waitForFunction(() => window.amilLayerShown === "map", null, { timeout: 20000 });
  await settle();
  result.layerShown = await page.evaluate(() => window.amilLayerShown);
  const box = await page.locator("#osd").boundingBox();
  await page.mouse.click(box.x + hot.x, box.y + hot.y);
  await page.waitForSelector("#patch-value", { timeout: 10000 });
  result.patchValue = await page.locator("#patch-value").textContent();
  result.patchXY = await page.locator("#patch-xy").textContent();
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
