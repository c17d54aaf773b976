// PLACEHOLDER: replaced by the real composition root (issue 3). Exists so the CDK stack can bundle it.
export const handler = async (): Promise<void> => {
  throw new Error('not implemented yet');
};
