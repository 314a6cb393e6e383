//! What a candidate registers with: a PRC resident identity number (GB 11643-1999, check digit by
//! ISO 7064 MOD 11-2), a mainland mobile number, an e-mail address and the 2-inch ID photo (35 × 54 mm).
//! Every check names the field it rejects, so the form can show the message beside it.

use time::{Date, Month};

/// A field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A checked identity number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdNumber {
    /// The 18 characters, with a lower-case check `x` made upper-case.
    pub number: String,
    pub birth_date: Date,
}

impl IdNumber {
    /// The number with all but the first 3 and the last 2 characters hidden, for pages and logs.
    pub fn masked(number: &str) -> String {
        number
            .chars()
            .enumerate()
            .map(|(i, c)| if (3..16).contains(&i) { '*' } else { c })
            .collect()
    }
}

/// Weights of the first 17 digits (GB 11643: 2^(17−i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum modulo 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes (the first two digits) in use.
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];
/// The youngest and oldest plausible candidate, in years on `today`.
const AGE_RANGE: (i32, i32) = (14, 90);

/// The check character the first 17 digits call for.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(CHECK[(sum % 11) as usize])
}

/// Checks an identity number against GB 11643 and a plausible birth date (age 14–90 on `today`).
pub fn id_number(raw: &str, today: Date) -> Result<IdNumber, FieldError> {
    const F: &str = "id_number";
    let number: String = raw.trim().to_uppercase();
    if number.chars().count() != 18 {
        return Err(err(F, "an identity number has 18 characters"));
    }
    let (first17, last) = number.split_at(17);
    if !first17.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(F, "the first 17 characters must be digits"));
    }
    let Some(expected) = check_char(first17) else {
        return Err(err(F, "the first 17 characters must be digits"));
    };
    if !last.starts_with(expected) {
        return Err(err(
            F,
            "the last character does not match the check digit: please check the number",
        ));
    }
    let digits = |r: std::ops::Range<usize>| first17[r].parse::<u32>().unwrap_or(0);
    if !PROVINCES.contains(&digits(0..2)) {
        return Err(err(F, "the first two digits are not a province code"));
    }
    let (y, m, d) = (digits(6..10), digits(10..12), digits(12..14));
    let birth = Month::try_from(m as u8)
        .ok()
        .and_then(|month| Date::from_calendar_date(y as i32, month, d as u8).ok())
        .ok_or_else(|| err(F, "digits 7–14 are not a date of birth"))?;
    let mut age = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    if birth > today || age < AGE_RANGE.0 || age > AGE_RANGE.1 {
        return Err(err(
            F,
            format!(
                "the date of birth {birth} is not plausible for a candidate (age {}–{})",
                AGE_RANGE.0, AGE_RANGE.1
            ),
        ));
    }
    Ok(IdNumber {
        number,
        birth_date: birth,
    })
}

/// A mainland mobile number: 11 digits starting 13–19; `+86`, spaces and dashes are dropped.
pub fn phone(raw: &str) -> Result<String, FieldError> {
    let mut digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if let Some(rest) = digits.strip_prefix("+86") {
        digits = rest.to_owned();
    }
    let ok = digits.len() == 11
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    if ok {
        Ok(digits)
    } else {
        Err(err(
            "phone",
            "a mainland mobile number has 11 digits and starts with 13–19",
        ))
    }
}

/// An e-mail address (RFC 5322 addr-spec, as the email_address crate reads it), lower-cased.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let e = raw.trim();
    if e.len() > 254 || !email_address::EmailAddress::is_valid(e) || !e.contains('.') {
        return Err(err("email", "this is not an e-mail address"));
    }
    Ok(e.to_lowercase())
}

/// A name as on the identity card: 2–40 characters.
pub fn name(raw: &str) -> Result<String, FieldError> {
    let n = raw.trim();
    let len = n.chars().count();
    if !(2..=40).contains(&len) || n.chars().any(char::is_control) {
        return Err(err(
            "name",
            "the name as on the identity card, 2–40 characters",
        ));
    }
    Ok(n.to_owned())
}

/// A password: at least 8 characters, not all the same kind of character.
pub fn password(raw: &str) -> Result<(), FieldError> {
    if raw.chars().count() < 8 {
        return Err(err("password", "at least 8 characters"));
    }
    if raw.chars().count() > 200 {
        return Err(err("password", "at most 200 characters"));
    }
    let kinds = [
        raw.chars().any(|c| c.is_ascii_digit()),
        raw.chars().any(char::is_alphabetic),
        raw.chars().any(|c| !c.is_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err(err("password", "mix letters with digits or symbols"));
    }
    Ok(())
}

/// The photo's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
}

impl PhotoFormat {
    pub fn mime(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
        }
    }
}

/// A checked ID photo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    pub format: PhotoFormat,
    pub width: usize,
    pub height: usize,
}

/// Smallest and largest accepted photo files, in bytes.
pub const PHOTO_BYTES: (usize, usize) = (4 * 1024, 2 * 1024 * 1024);
/// The 2-inch photo is 35 × 54 mm; width ÷ height may differ from 35/54 by this share.
pub const PHOTO_ASPECT_TOLERANCE: f64 = 0.05;
/// Smallest accepted width in pixels (35 mm at about 180 dpi).
pub const PHOTO_MIN_WIDTH: usize = 250;

/// Checks the 2-inch ID photo: JPEG or PNG, 4 KiB–2 MiB, at least 250 px wide, 35:54 within 5 %.
pub fn photo(bytes: &[u8]) -> Result<Photo, FieldError> {
    const F: &str = "photo";
    let format = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Jpeg) => PhotoFormat::Jpeg,
        Ok(imagesize::ImageType::Png) => PhotoFormat::Png,
        _ => return Err(err(F, "the photo must be a JPEG or PNG file")),
    };
    if bytes.len() < PHOTO_BYTES.0 || bytes.len() > PHOTO_BYTES.1 {
        return Err(err(
            F,
            format!(
                "the photo file is {} KiB; it must be between {} KiB and {} KiB",
                bytes.len() / 1024,
                PHOTO_BYTES.0 / 1024,
                PHOTO_BYTES.1 / 1024
            ),
        ));
    }
    let size = imagesize::blob_size(bytes).map_err(|_| err(F, "the photo cannot be read"))?;
    let (w, h) = (size.width, size.height);
    if w < PHOTO_MIN_WIDTH {
        return Err(err(
            F,
            format!("the photo is {w} px wide; it must be at least {PHOTO_MIN_WIDTH} px"),
        ));
    }
    let want = 35.0 / 54.0;
    let ratio = w as f64 / h.max(1) as f64;
    if (ratio - want).abs() / want > PHOTO_ASPECT_TOLERANCE {
        return Err(err(
            F,
            format!("the photo is {w} × {h} px; a 2-inch photo is 35 × 54 (e.g. 413 × 626 px)"),
        ));
    }
    Ok(Photo {
        format,
        width: w,
        height: h,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 11 - 28);

    /// A valid number for a birth date, built with the check digit.
    fn with_check(first17: &str) -> String {
        let Some(c) = check_char(first17) else {
            panic!("17 digits");
        };
        format!("{first17}{c}")
    }

    #[test]
    fn the_check_digit_follows_gb_11643() {
        // The standard's worked example: 11010519491231002X.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert!(id_number("11010519491231002X", date!(2000 - 01 - 01)).is_ok());
        assert!(
            id_number("11010519491231002x", date!(2000 - 01 - 01)).is_ok(),
            "lower-case x"
        );
        let e = id_number("110105194912310021", date!(2000 - 01 - 01));
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("check digit")),
            "{e:?}"
        );
    }

    #[test]
    fn numbers_are_rejected_with_the_reason() {
        let young = with_check("44030620150101123");
        let old = with_check("44030619200101123");
        let future = with_check("44030620300101123");
        let bad_date = with_check("44030620010230123");
        let bad_region = with_check("99030620010101123");
        for (n, why) in [
            ("4403062001", "18 characters"),
            ("44030620010101A23X", "digits"),
            (young.as_str(), "plausible"),
            (old.as_str(), "plausible"),
            (future.as_str(), "plausible"),
            (bad_date.as_str(), "date of birth"),
            (bad_region.as_str(), "province"),
        ] {
            let e = id_number(n, TODAY);
            assert!(
                e.as_ref()
                    .is_err_and(|e| e.field == "id_number" && e.message.contains(why)),
                "{n}: {e:?}"
            );
        }
        let ok = with_check("44030620010101123");
        assert_eq!(
            id_number(&ok, TODAY).map(|i| i.birth_date),
            Ok(date!(2001 - 01 - 01))
        );
        assert_eq!(
            IdNumber::masked(&ok),
            format!("440{}{}", "*".repeat(13), &ok[16..])
        );
    }

    #[test]
    fn phones_emails_names_and_passwords() {
        assert_eq!(phone("+86 138-0013-8000"), Ok("13800138000".into()));
        assert!(phone("12800138000").is_err());
        assert!(phone("1380013800").is_err());
        assert_eq!(
            email(" Li.Hua@Example.COM "),
            Ok("li.hua@example.com".into())
        );
        assert!(email("li.hua@").is_err());
        assert!(email("not an address").is_err());
        assert_eq!(name(" 李华 "), Ok("李华".into()));
        assert!(name("李").is_err());
        assert!(password("short1").is_err());
        assert!(password("onlyletters").is_err());
        assert!(password("letters+digits9").is_ok());
    }

    /// A PNG header with the given size, padded to `len` bytes.
    fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.resize(len, 0);
        b
    }

    #[test]
    fn the_photo_is_a_two_inch_jpeg_or_png() {
        assert_eq!(
            photo(&png(413, 626, 20_000)).map(|p| (p.format, p.width, p.height)),
            Ok((PhotoFormat::Png, 413, 626))
        );
        for (bytes, why) in [
            (png(600, 600, 20_000), "35 × 54"),
            (png(200, 309, 20_000), "at least 250"),
            (png(413, 626, 1_000), "between"),
            (png(413, 626, 3 * 1024 * 1024), "between"),
            (b"GIF89a........".to_vec(), "JPEG or PNG"),
        ] {
            let e = photo(&bytes);
            assert!(
                e.as_ref()
                    .is_err_and(|e| e.field == "photo" && e.message.contains(why)),
                "{why}: {e:?}"
            );
        }
    }
}
