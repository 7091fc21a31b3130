// @ts-check
// Trusted code QuickJS evaluates in every fresh context before the tenant's script: it evaluates to
// factory(consoleSource, ...intrinsics). Compiled on every run, so it stays short; the protocol is
// described in javascript-prelude.ts, the one-letter names just below.
// A Reflect.apply, S JSON.stringify, J JSON.parse, D defineProperty, P getPrototypeOf, Y isArray,
// O/B Object/Array prototypes, H hasOwnProperty, R getOwnPropertySymbols, N propertyIsEnumerable,
// V eval, K Object.keys, X String slice, St String, E Error; Q those intrinsics for the lazily
// compiled helpers (index: 0 apply, 1 stringify, 2 keys, 3 getPrototypeOf, 4 getOwnPropertySymbols,
// 5 isArray, 6 hasOwnProperty, 7 propertyIsEnumerable, 8 String slice, 9 String, 10/11 Object/Array
// prototypes, 12 Error); W console state (text, lines, characters, dropped, full); ML/MC/MR/MD
// limits; z size so far; U/T replacer sentinels; dv defines a global data property; lz defines an input
// global that parses its JSON text on first read (or is replaced by a write) and then is a data property.
(function(CS,A,S,J,D,P,Y,O,H,R,N,B,V,K,X,St,E){'use strict';
var Q=[A,S,K,P,R,Y,H,N,X,St,O,B,E],W={o:'',n:0,c:0,d:0,f:false},C,ML,MC,MR,MD,z,U={},T={};
function dv(k,v,e){D(globalThis,k,{value:v,writable:true,enumerable:e,configurable:true})}function put(v){dv('console',v,false)}
function lz(k,t,s,e){D(globalThis,k,{get:function(){var v=J(A(X,t,[s,e]));dv(k,v,true);return v},set:function(v){dv(k,v,true)},enumerable:true,configurable:true})}
D(globalThis,'console',{get:function(){if(!C){C=V(CS)(Q,W,ML,MC);put(C)}return C},set:put,configurable:true});
/** @this {any} */function rp(k,v){var t=typeof v;if(this[k]!==v)throw U;if(t==='string'){if((z+=v.length+2)>MR)throw T}
else if(t==='number'){if(v!==v||v===1/0||v===-1/0)throw U}else if(v!==null&&t!=='boolean'){if(t!=='object')throw U;t=P(v);
if(Y(v)){if(t!==B)throw U;if((z+=v.length+2)>MR)throw T;for(var i=0;i<v.length;i++)if(!A(H,v,[i]))throw U}
else{if(t!==O&&t!==null)throw U;for(var y=R(v),j=0;j<y.length;j++)if(A(N,v,[y[j]]))throw U}}return v}
return function(m,a,b,c,d,e,f){var v=null;
if(m===0){ML=c;MC=d;MR=e;MD=f;a=J(a);for(var i=0;i<a.length;i+=3)lz(a[i],b,a[i+1],a[i+2]);return}
if(m===4)return a(b,Q);if(m!==1){if(typeof result!=='undefined')v=result;if(m===3)return S(a(v,Q,MR,MD));
z=0;try{v=S(v,rp)}catch(x){return x===T?1:0}if(v.length>MR)return 1}
return'{"r":'+v+',"o":['+W.o+'],"d":'+W.d+',"t":'+W.f+'}'}})
