/**
 * Checks GLB bytes with the Khronos glTF validator (the `gltf-validator`
 * package, the reference implementation of the glTF 2.0 rules).
 */
import validator from 'gltf-validator';

export interface GlbValidation {
  errors: number;
  warnings: number;
  infos: number;
  hints: number;
  /** The validator's messages: code, message, severity (0 error, 1 warning, 2 info, 3 hint), JSON pointer. */
  messages: { code: string; message: string; severity: number; pointer?: string }[];
}

/** Validates one GLB file's bytes; never throws for invalid files (see the counts). */
export async function validateGlb(bytes: Uint8Array): Promise<GlbValidation> {
  const r = await validator.validateBytes(bytes, { maxIssues: 100 });
  const i = r.issues;
  return {
    errors: i.numErrors, warnings: i.numWarnings, infos: i.numInfos, hints: i.numHints,
    messages: i.messages.map((m) => ({
      code: m.code, message: m.message, severity: m.severity, ...(m.pointer ? { pointer: m.pointer } : {}),
    })),
  };
}
