// Placeholder: being written now.
export const handler = async (_event: unknown): Promise<unknown> => {
  throw new Error("not implemented");
};
