// asl-validator 4 ships no TypeScript types; this declares only the surface the infra tests use.
declare module 'asl-validator' {
  interface ValidationResult {
    readonly isValid: boolean;
    errorsText(separator?: string): string;
  }
  /** Validates an Amazon States Language definition (it adds `QueryLanguage` to states: pass a copy). */
  function validator(definition: unknown, options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean }): ValidationResult;
  export default validator;
}
