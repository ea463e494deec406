// Photos are made smaller on the device before they are kept and sent (long side 1600 px, JPEG), and
// keep when and where they were taken: the camera's EXIF when the browser passes it, otherwise the
// file's time and the page's last position, written back into the new JPEG's EXIF.
import piexif from 'piexifjs';

const LONG_SIDE = 1600;
const done = new WeakSet();

function exifTime(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}:${two(d.getMonth() + 1)}:${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function rational(value) {
  const deg = Math.floor(value);
  const minutes = Math.floor((value - deg) * 60);
  const seconds = Math.round(((value - deg) * 60 - minutes) * 60 * 100);
  return [[deg, 1], [minutes, 1], [seconds, 100]];
}

function binary(file) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => resolve('');
    reader.readAsBinaryString(file);
  });
}

function readExif(data) {
  try {
    return piexif.load(data);
  } catch (err) {
    return { '0th': {}, Exif: {}, GPS: {} };
  }
}

export async function shrink(file, position) {
  if (!file.type.startsWith('image/') || done.has(file)) return file;
  const exif = readExif(file.type === 'image/jpeg' ? await binary(file) : '');
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (err) {
    return file;                                   // not an image the browser can read: the server decides
  }
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  exif['0th'] = { ...(exif['0th'] || {}), [piexif.ImageIFD.Orientation]: 1 };
  exif.Exif = exif.Exif || {};
  if (!exif.Exif[piexif.ExifIFD.DateTimeOriginal]) exif.Exif[piexif.ExifIFD.DateTimeOriginal] = exifTime(file.lastModified);
  exif.GPS = exif.GPS || {};
  if (!exif.GPS[piexif.GPSIFD.GPSLatitude] && position) {
    const { latitude, longitude } = position.coords;
    Object.assign(exif.GPS, { [piexif.GPSIFD.GPSLatitudeRef]: latitude >= 0 ? 'N' : 'S',
      [piexif.GPSIFD.GPSLatitude]: rational(Math.abs(latitude)),
      [piexif.GPSIFD.GPSLongitudeRef]: longitude >= 0 ? 'E' : 'W',
      [piexif.GPSIFD.GPSLongitude]: rational(Math.abs(longitude)) });
  }
  delete exif.thumbnail;
  exif['1st'] = {};
  const jpeg = piexif.insert(piexif.dump(exif), canvas.toDataURL('image/jpeg', 0.85));
  const bytes = Uint8Array.from(atob(jpeg.split(',')[1]), (c) => c.charCodeAt(0));
  const name = file.name.replace(/\.[^.]*$/, '') + '.jpg';
  const small = new File([bytes], name, { type: 'image/jpeg', lastModified: file.lastModified });
  done.add(small);
  return small;
}

// Before anything else reads a photo input, its new files are replaced by their smaller copies.
export function setupPhotos(form, position) {
  form.addEventListener('change', (event) => {
    const input = event.target;
    if (input.type !== 'file' || !input.files.length || [...input.files].every((f) => done.has(f))) return;
    event.stopImmediatePropagation();
    Promise.all([...input.files].map((f) => shrink(f, position()))).then((files) => {
      const transfer = new DataTransfer();
      files.forEach((f) => { done.add(f); transfer.items.add(f); });
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }, true);
}
