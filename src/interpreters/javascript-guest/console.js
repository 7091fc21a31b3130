// @ts-check
// (Q, state, maxLines, maxChars) → console: compiled inside QuickJS on the first access to
// `console`. Formats each call's arguments at call time (strings as is, errors as `Name: message`,
// other values as JSON) and appends the line, JSON-encoded, to `state.o`, within the caps.
(function(Q,W,ML,MC){'use strict';
var A=Q[0],S=Q[1],X=Q[8],St=Q[9],E=Q[12];
function fmt(v){try{return typeof v==='string'?v:v instanceof E?St(v.name)+': '+St(v.message):typeof v==='object'&&v!==null&&typeof(v=S(v))==='string'?v:St(v)}catch(e){return'[unprintable]'}}
function w(p){return function(){if(W.n>=ML||W.f){W.f=true;W.d++;return}var r=MC-W.c,s=p;
for(var i=0;i<arguments.length&&s.length<=r;i++)s+=(i?' ':'')+fmt(arguments[i]);
if(s.length>r){s=A(X,s,[0,r]);W.f=true}W.o+=(W.n++?',':'')+S(s);W.c+=s.length}}
return{log:w(''),info:w(''),debug:w(''),warn:w('warn: '),error:w('error: ')}})
