export async function runFailover(_s: unknown): Promise<{ held: boolean }[]> { return []; }
