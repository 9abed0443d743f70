/** The part of the `gltf-validator` package (no bundled types) that gaitforge uses. */
declare module 'gltf-validator' {
  interface ValidatorMessage {
    code: string;
    message: string;
    severity: number;
    pointer?: string;
  }
  interface ValidatorReport {
    issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: ValidatorMessage[] };
  }
  const validator: {
    validateBytes(data: Uint8Array, options?: { maxIssues?: number; uri?: string }): Promise<ValidatorReport>;
    version(): string;
  };
  export default validator;
}
