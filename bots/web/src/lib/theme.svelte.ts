// Light and dark: the system's choice until the user picks one, then theirs (index.html applies it
// before the first paint).

export const theme = $state({ dark: document.documentElement.classList.contains('dark') });

export function toggleTheme(): void {
  theme.dark = !theme.dark;
  document.documentElement.classList.toggle('dark', theme.dark);
  try {
    localStorage.setItem('loglens.theme', theme.dark ? 'dark' : 'light');
  } catch {
    // private mode: the choice lasts for this page only
  }
}
