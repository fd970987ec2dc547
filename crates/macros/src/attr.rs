//! Parses `#[watch(operation = "chat", model = <expr>)]`.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, LitStr, Token};

/// The macro's arguments; every one is optional.
#[derive(Default)]
pub(crate) struct WatchArgs {
    /// `gen_ai.operation.name` (default `chat`).
    pub operation: Option<LitStr>,
    /// An expression (it may use the fn's arguments) giving the requested model.
    pub model: Option<Expr>,
}

struct Arg {
    name: syn::Ident,
    value: Expr,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: syn::Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        Ok(Arg {
            name,
            value: input.parse()?,
        })
    }
}

impl WatchArgs {
    pub fn parse(tokens: TokenStream) -> syn::Result<WatchArgs> {
        let parser = Punctuated::<Arg, Token![,]>::parse_terminated;
        let list = syn::parse::Parser::parse2(parser, tokens)?;
        let mut args = WatchArgs::default();
        for arg in list {
            match arg.name.to_string().as_str() {
                "operation" => {
                    if args.operation.is_some() {
                        return Err(duplicate(&arg.name));
                    }
                    args.operation = Some(string_literal(&arg.value)?);
                }
                "model" => {
                    if args.model.is_some() {
                        return Err(duplicate(&arg.name));
                    }
                    args.model = Some(arg.value);
                }
                other => {
                    return Err(syn::Error::new(
                        arg.name.span(),
                        format!(
                            "unknown argument `{other}`: #[callwatch::watch] accepts `operation = \"…\"` and `model = <expr>`"
                        ),
                    ))
                }
            }
        }
        Ok(args)
    }
}

fn string_literal(value: &Expr) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Ok(lit.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            "`operation` must be a string literal, e.g. `operation = \"chat\"`",
        )),
    }
}

fn duplicate(name: &syn::Ident) -> syn::Error {
    syn::Error::new(name.span(), format!("`{name}` is given twice"))
}
