//! Lenient field types for reading API bodies in one borrowed pass. A typed `serde` struct
//! fails the whole parse on one field of the wrong type; these accept any JSON value and keep
//! only what has the expected shape, so a body with `"error": "flat string"` or
//! `"input_tokens": "12"` still yields every other field — as reading a `serde_json::Value`
//! did, without allocating a map per object or copying every string.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string field: `Some` for a JSON string (borrowed when it has no escapes), `None` for any
/// other value or when absent.
#[derive(Debug, Default)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

/// A counter field: a non-negative integer, or 0 for any other value (as the API never sends
/// one, a wrong type is a broken body, not a reason to drop the rest of it).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Count(pub u64);

/// An object field: `Some(T)` when the value is an object, `None` otherwise.
#[derive(Debug)]
pub(crate) struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

/// Consumes any value a visitor was not interested in. Every method a `deserialize_any`
/// visitor can receive for a non-matching value ends here or in the default `invalid_type`,
/// which these visitors override.
macro_rules! ignore_other_values {
    ($out:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($out)
        }
    };
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Text(None))
    }
    ignore_other_values!(Text(None));
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Count;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Count(v))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Count(0))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Count(0))
    }
    ignore_other_values!(Count(0));
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountVisitor)
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Object(None))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Object(None))
    }
    ignore_other_values!(Object(None));
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(borrow)]
        text: Text<'a>,
        count: Count,
        object: Object<Inner>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Inner {
        n: Count,
    }

    fn probe(json: &str) -> Probe<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_expected_shapes_are_read_and_borrowed_when_unescaped() {
        let p = probe(r#"{"text":"plain","count":7,"object":{"n":3,"extra":[1,{"a":null}]}}"#);
        assert!(matches!(p.text.0, Some(Cow::Borrowed("plain"))));
        assert_eq!(p.count.0, 7);
        assert_eq!(p.object.0.unwrap().n.0, 3);
        let escaped = probe(r#"{"text":"a\"b"}"#);
        assert_eq!(escaped.text.0.as_deref(), Some("a\"b"));
    }

    #[test]
    fn any_other_value_is_skipped_without_failing_the_parse() {
        for other in [
            "null",
            "true",
            "-3",
            "1.5",
            r#""s""#,
            "[1,[2],{}]",
            r#"{"k":{"k":[]}}"#,
        ] {
            let json = format!(r#"{{"text":{other},"count":{other},"object":{other}}}"#);
            let p = probe(&json);
            if other != r#""s""# {
                assert!(p.text.0.is_none(), "{other}");
            }
            assert_eq!(p.count.0, 0, "{other}");
            if !other.starts_with('{') {
                assert!(p.object.0.is_none(), "{other}");
            }
        }
    }

    #[test]
    fn absent_fields_take_their_defaults() {
        let p = probe("{}");
        assert!(p.text.0.is_none() && p.object.0.is_none());
        assert_eq!(p.count.0, 0);
    }
}
