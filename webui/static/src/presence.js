// Proof of presence: the device's position is watched while the page is open; the first edit on site
// records the arrival, every edit the departure (time, position, accuracy), and sending records the
// device's clock for the server to compare with its own. Nothing is typed and nothing is blocked.

export function setupPresence(form, messages) {
  const box = form.querySelector('fieldset.presence');
  if (!box) return { edited() {}, position: () => null };
  const prefix = box.dataset.presence;
  const input = (name) => form.querySelector(`[name="${prefix}.${name}"]`);
  let latest = null;

  function record(which) {
    if (!latest) return;
    const { coords, timestamp } = latest;
    const values = { at: new Date(timestamp).toISOString(), lat: coords.latitude.toFixed(6),
      lon: coords.longitude.toFixed(6), accuracy: Math.round(coords.accuracy) };
    Object.entries(values).forEach(([key, value]) => { const el = input(`${which}.${key}`); if (el) el.value = value; });
    const text = box.querySelector(`[data-fix="${prefix}.${which}"] [data-fix-text]`);
    if (text) {
      text.textContent = messages.fix.replace('%t', new Date(timestamp).toLocaleTimeString('zh-CN', { hour12: false }))
        .replace('%a', String(values.accuracy));
    }
  }

  function edited() {
    const arrived = input('arrived.lat');
    if (arrived && !arrived.value) record('arrived');
    record('left');
  }

  if (navigator.geolocation) {
    navigator.geolocation.watchPosition((position) => {
      const first = latest === null;
      latest = position;
      if (first && form.dataset.edited) edited();
    }, () => {}, { enableHighAccuracy: true, maximumAge: 30000 });
  }
  // before the checks and the queue read the form: the device's clock as it is sent
  form.addEventListener('submit', () => {
    const clock = input('device_clock');
    if (clock) clock.value = new Date().toISOString();
  }, true);
  return { edited, position: () => latest };
}
