//! TensorBoard's event files, written without TensorFlow (docs/tracking.md).
//!
//! A file is a sequence of records, each `length: u64 LE, masked CRC-32C of length: u32 LE,
//! data, masked CRC-32C of data: u32 LE`; each record's data is one protobuf `Event`. Only the
//! few fields proxmo writes are encoded here: `wall_time` (1, double), `step` (2, int64),
//! `file_version` (3, string), `summary` (5), with `Summary.value` (1) holding `tag` (1),
//! `simple_value` (2, float) for scalars, or `metadata` (9) naming the text plugin and a
//! string `tensor` (8) for text.

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord files.
pub fn crc32c(bytes: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    let mut crc = !0u32;
    for &b in bytes {
        crc = table[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The masked CRC TFRecord stores: a CRC of data that holds CRCs is itself a poor check,
/// so the stored value is rotated and offset.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c(bytes);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// One TFRecord framing `data`.
pub fn record(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

/// A protobuf message under construction.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }

    fn double(mut self, field: u32, v: f64) -> Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn float(mut self, field: u32, v: f32) -> Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn int(mut self, field: u32, v: i64) -> Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }

    fn bytes(mut self, field: u32, v: &[u8]) -> Self {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }

    fn message(self, field: u32, m: Message) -> Self {
        self.bytes(field, &m.0)
    }
}

/// The first event of every file: its format version.
pub fn file_version(wall_time: f64) -> Vec<u8> {
    let event = Message::default()
        .double(1, wall_time)
        .bytes(3, b"brain.Event:2");
    record(&event.0)
}

/// One event holding `scalars` (tag, value) at `step`.
pub fn scalars(wall_time: f64, step: i64, scalars: &[(String, f32)]) -> Vec<u8> {
    let summary = scalars.iter().fold(Message::default(), |s, (tag, v)| {
        s.message(1, Message::default().bytes(1, tag.as_bytes()).float(2, *v))
    });
    let event = Message::default()
        .double(1, wall_time)
        .int(2, step)
        .message(5, summary);
    record(&event.0)
}

/// One event holding `text` (Markdown, shown by TensorBoard's Text tab) under `tag`.
pub fn text(wall_time: f64, step: i64, tag: &str, text: &str) -> Vec<u8> {
    const DT_STRING: i64 = 7;
    let plugin = Message::default().bytes(1, b"text");
    let metadata = Message::default().message(1, plugin);
    // A scalar string tensor: no shape dimensions, one string value.
    let tensor = Message::default()
        .int(1, DT_STRING)
        .message(2, Message::default())
        .bytes(8, text.as_bytes());
    let value = Message::default()
        .bytes(1, tag.as_bytes())
        .message(9, metadata)
        .message(8, tensor);
    let event = Message::default()
        .double(1, wall_time)
        .int(2, step)
        .message(5, Message::default().message(1, value));
    record(&event.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        // The check value of CRC-32C for "123456789" (RFC 3720, iSCSI).
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn a_record_frames_its_data_with_length_and_checksums() {
        let r = record(b"abc");
        assert_eq!(r.len(), 8 + 4 + 3 + 4);
        assert_eq!(&r[..8], &3u64.to_le_bytes());
        assert_eq!(&r[8..12], &masked_crc(&3u64.to_le_bytes()).to_le_bytes());
        assert_eq!(&r[12..15], b"abc");
        assert_eq!(&r[15..], &masked_crc(b"abc").to_le_bytes());
    }

    #[test]
    fn a_scalar_event_encodes_its_fields() {
        let r = scalars(0.0, 3, &[("x".into(), 1.0)]);
        let data = &r[12..r.len() - 4];
        // wall_time (field 1, double), step (field 2, varint 3), then the summary.
        assert_eq!(data[0], 0x09);
        assert_eq!(&data[1..9], &0f64.to_le_bytes());
        assert_eq!(&data[9..11], &[0x10, 3]);
        let value = [0x0a, 1, b'x', 0x15, 0, 0, 0x80, 0x3f];
        let summary = [&[0x0a, value.len() as u8][..], &value].concat();
        assert_eq!(
            &data[11..],
            [&[0x2a, summary.len() as u8][..], &summary].concat()
        );
    }
}
