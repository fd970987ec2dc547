use proc_macro::TokenStream;
/// Instruments an async fn returning `Result<_, _>` (see `callwatch::watch`).
#[proc_macro_attribute]
pub fn watch(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
