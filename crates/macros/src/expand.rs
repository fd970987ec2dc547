//! Writes the instrumented function: same signature, body run inside a watched call.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::attr::WatchArgs;

pub(crate) fn expand(args: WatchArgs, function: ItemFn) -> syn::Result<TokenStream> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "#[callwatch::watch] needs an `async fn` returning `Result<T, E>`",
        ));
    }
    let operation = match &args.operation {
        Some(lit) => quote!(#lit),
        None => quote!("chat"),
    };
    let model = match &args.model {
        Some(expr) => {
            quote_spanned!(expr.span()=> ::core::option::Option::Some(::callwatch::__private::model_label(&(#expr))))
        }
        None => quote!(::core::option::Option::None),
    };
    let output = match &sig.output {
        syn::ReturnType::Type(_, ty) => quote!(#ty),
        syn::ReturnType::Default => {
            return Err(syn::Error::new(
                sig.span(),
                "#[callwatch::watch] needs an `async fn` returning `Result<T, E>`",
            ))
        }
    };
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            let __callwatch_call = ::callwatch::__private::WatchedCall::start(#operation, #model);
            let __callwatch_result: #output = __callwatch_call.run(async move #block).await;
            {
                #[allow(unused_imports)]
                use ::callwatch::__private::{ViaClassify as _, ViaDefault as _};
                let __callwatch_outcome = match &__callwatch_result {
                    ::core::result::Result::Ok(value) => {
                        (&::callwatch::__private::Probe(value)).probe_outcome()
                            .unwrap_or_else(::callwatch::__private::success)
                    }
                    ::core::result::Result::Err(error) => {
                        (&::callwatch::__private::Probe(error)).probe_outcome()
                            .unwrap_or_else(::callwatch::__private::unclassified_error)
                    }
                };
                __callwatch_call.finish(__callwatch_outcome);
            }
            __callwatch_result
        }
    })
}
