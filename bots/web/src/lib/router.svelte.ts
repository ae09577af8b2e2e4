// A small router over the History API: the server answers every page path with the app.

export type Page = 'ask' | 'explore' | 'live' | 'history';

export const PAGES: { page: Page; path: string; label: string }[] = [
  { page: 'ask', path: '/', label: 'Ask' },
  { page: 'explore', path: '/explore', label: 'Explore' },
  { page: 'live', path: '/live', label: 'Live tail' },
  // Not /history: that is the API's list of questions.
  { page: 'history', path: '/questions', label: 'History' },
];

function pageOf(pathname: string): Page {
  return PAGES.find((entry) => entry.path === pathname.replace(/\/+$/, '') || entry.path === pathname)?.page ?? 'ask';
}

export const route = $state({
  page: pageOf(window.location.pathname),
  search: window.location.search,
});

export function navigate(path: string, replace = false): void {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and read within this call; route is the state
  const url = new URL(path, window.location.href);
  if (url.pathname + url.search === window.location.pathname + window.location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.page = pageOf(url.pathname);
  route.search = url.search;
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  route.page = pageOf(window.location.pathname);
  route.search = window.location.search;
});

/** Follow a same-origin link without reloading the page. */
export function link(node: HTMLAnchorElement): void {
  node.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(node.getAttribute('href') ?? '/');
  });
}
