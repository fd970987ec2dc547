#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callwatch_fuzz::classify_response(data));
