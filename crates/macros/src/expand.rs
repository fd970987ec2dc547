//! Writes the instrumented function: same signature, body run inside a watched call.
//!
//! Two shapes are accepted: `async fn … -> Result<T, E>` and `fn … -> impl Future<Output =
//! Result<T, E>>`. `T` may be `impl Trait`: the result's binding names it `_`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ItemFn, ReturnType, Type, TypeParamBound};

use crate::attr::WatchArgs;

const NEEDS: &str = "#[callwatch::watch] needs an `async fn` returning `Result<T, E>` (or an \
                     `fn` returning `impl Future<Output = Result<T, E>>`)";

pub(crate) fn expand(args: WatchArgs, function: ItemFn) -> syn::Result<TokenStream> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let result_type = match (&sig.asyncness, &sig.output) {
        (Some(_), ReturnType::Type(_, ty)) => (**ty).clone(),
        (None, ReturnType::Type(_, ty)) => {
            future_output(ty).ok_or_else(|| syn::Error::new(sig.fn_token.span(), NEEDS))?
        }
        (_, ReturnType::Default) => return Err(syn::Error::new(sig.span(), NEEDS)),
    };
    let result_type = infer_impl_traits(result_type);
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
    let finish = quote! {
        {
            #[allow(unused_imports)]
            use ::callwatch::__private::{
                ViaClassify as _, ViaDefault as _, ViaDynError as _, ViaError as _,
            };
            // The middleware's view of the exchange, when it saw one, wins inside `finish`;
            // these are what the result alone says.
            let __callwatch_outcome = match &__callwatch_result {
                ::core::result::Result::Ok(value) => {
                    (&&&::callwatch::__private::Probe(value)).probe_outcome()
                        .unwrap_or_else(::callwatch::__private::unknown)
                }
                ::core::result::Result::Err(error) => {
                    (&&&::callwatch::__private::Probe(error)).probe_outcome()
                        .unwrap_or_else(::callwatch::__private::unclassified_error)
                }
            };
            __callwatch_call.finish(__callwatch_outcome);
        }
    };
    if sig.asyncness.is_some() {
        return Ok(quote! {
            #(#attrs)*
            #vis #sig {
                let __callwatch_call = ::callwatch::__private::WatchedCall::start(#operation, #model);
                let __callwatch_result: #result_type = __callwatch_call.run(async move #block).await;
                #finish
                __callwatch_result
            }
        });
    }
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            let __callwatch_call = ::callwatch::__private::WatchedCall::start(#operation, #model);
            let __callwatch_future = #block;
            async move {
                let __callwatch_result: #result_type = __callwatch_call.run(__callwatch_future).await;
                #finish
                __callwatch_result
            }
        }
    })
}

/// `X` from `impl Future<Output = X>` (with any other bounds beside it, such as `Send`).
fn future_output(ty: &Type) -> Option<Type> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let segment = bound.path.segments.last()?;
        if segment.ident != "Future" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                Some(assoc.ty.clone())
            }
            _ => None,
        })
    })
}

/// `impl Trait` cannot name a `let` binding's type; `_` can, and the body decides.
fn infer_impl_traits(mut ty: Type) -> Type {
    struct Infer;
    impl VisitMut for Infer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(impl_trait) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](impl_trait.span()),
                });
                return;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
    Infer.visit_type_mut(&mut ty);
    ty
}
