//! `#[callwatch::watch]`: instruments an async fn that calls the Claude API.
//!
//! Split like `tracing-attributes`: this file is the entry point, [`attr`] parses the
//! arguments, [`expand`] writes the code. Generated code reaches its support items only through
//! `::callwatch::__private`, so the user's imports never matter.

use proc_macro::TokenStream;

mod attr;
mod expand;

/// Instruments an `async fn` returning `Result<T, E>` as one logical call (see
/// `callwatch::watch` for the documentation).
#[proc_macro_attribute]
pub fn watch(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        // Not a function at all: say so and give the item back untouched.
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "#[callwatch::watch] can only be used on an `async fn`",
            );
            return with_error(error, item);
        }
    };
    let args = match attr::WatchArgs::parse(args.into()) {
        Ok(args) => args,
        // Bad arguments: report at the user's span and still emit the function unchanged, so
        // the rest of the crate keeps compiling and IDEs keep working.
        Err(error) => return with_error(error, item),
    };
    match expand::expand(args, function) {
        Ok(tokens) => tokens.into(),
        Err(error) => with_error(error, item),
    }
}

fn with_error(error: syn::Error, item: proc_macro2::TokenStream) -> TokenStream {
    let mut tokens = error.into_compile_error();
    tokens.extend(item);
    tokens.into()
}
