/** `https://user:secret@host/x` -> `https://****@host/x`: what a URL may look like in a message, plan or journal. */
export function shownUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1****@');
}
