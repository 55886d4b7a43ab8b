import { z } from 'zod';

/**
 * Veriff decision webhook (and GET /v1/sessions/{id}/decision), per shared/domain/veriff-facts.md.
 * Objects are loose: Veriff adds fields without notice and unknown keys must never reject a body
 * (the raw copy keeps them). Known fields are typed strictly: no coercion.
 */

const str = z.string().nullish();
const bool = z.boolean().nullish();

/** ISO 8601 with an offset (or Z) and up to 9 fractional digits. */
export const isoDateTime = z.iso.datetime({ offset: true, local: false });

export const decisionStatuses = ['approved', 'declined', 'resubmission_requested', 'review', 'expired', 'abandoned'] as const;

const address = z.looseObject({
  fullAddress: str,
  parsedAddress: z
    .looseObject({ street: str, houseNumber: str, unit: str, city: str, state: str, postcode: str, country: str })
    .nullish(),
});

export const personSchema = z.looseObject({
  firstName: str,
  lastName: str,
  fullName: str,
  middleName: str,
  dateOfBirth: str,
  yearOfBirth: str,
  idNumber: str,
  gender: str,
  nationality: str,
  placeOfBirth: str,
  occupation: str,
  employer: str,
  foreignerStatus: str,
  extraNames: str,
  title: str,
  addresses: z.array(address).nullish(),
  ifeIdentifier: str,
  ineIdentifier: str,
  electorNumber: str,
  eyeColor: str,
  hairColor: str,
  height: str,
  weight: str,
});

export const documentSchema = z.looseObject({
  number: str,
  type: str,
  country: str,
  state: str,
  validFrom: str,
  validUntil: str,
  firstIssue: str,
  placeOfIssue: str,
  issueNumber: str,
  issuedBy: str,
  remarks: str,
  residencePermitType: str,
  nfcValidated: bool,
  portraitIsVisible: bool,
  signatureIsVisible: bool,
  ineIdentifier: str,
  specimen: z
    .looseObject({
      containsContactlessChip: bool,
      digitalDocument: bool,
      legalStatus: str,
      hasSecurityRisk: bool,
    })
    .nullish(),
});

export const ineBiometricSchema = z.looseObject({
  faceMatch: z.boolean().nullish(),
  faceMatchPercentage: z.number().min(0).max(100).nullish(),
  responseStatus: z.enum(['success', 'failure']).nullish(),
});

export const additionalVerifiedDataSchema = z.looseObject({
  ineBiometricRegistryValidation: ineBiometricSchema.nullish(),
  cpfValidation: z.looseObject({}).nullish(),
  registryValidation: z
    .looseObject({
      countryRegistry: str,
      registryName: str,
      fullNameSimilarity: z.number().nullish(),
      documentValid: bool,
      personIsAlive: bool,
    })
    .nullish(),
  proofOfAddress: z.looseObject({}).nullish(),
  validationResults: z.array(z.unknown()).nullish(),
  estimatedAge: z.number().nullish(),
  estimatedGender: z.number().nullish(),
});

export const riskLabelSchema = z.looseObject({
  label: z.string(),
  category: z.string(),
  sessionIds: z.array(z.string()).nullish(),
});

export const verificationSchema = z.looseObject({
  id: z.string().min(1).max(200),
  attemptId: z.string().min(1).max(200),
  vendorData: z.string().max(1000).nullish(),
  endUserId: z.string().max(200).nullish(),
  // An unknown status string is kept, not rejected; the status dimension marks it unknown.
  status: z.string().min(1).max(64),
  code: z.number().int().min(0).max(65535),
  reason: z.string().nullish(),
  reasonCode: z.number().int().min(0).max(65535).nullish(),
  decisionTime: isoDateTime.nullish(),
  acceptanceTime: isoDateTime.nullish(),
  submissionTime: isoDateTime.nullish(),
  person: personSchema.nullish(),
  document: documentSchema.nullish(),
  additionalVerifiedData: additionalVerifiedDataSchema.nullish(),
  riskScore: z.looseObject({ score: z.number().nullish() }).nullish(),
  riskLabels: z.array(riskLabelSchema).nullish(),
  biometricAuthentication: z.looseObject({}).nullish(),
  comments: z.array(z.unknown()).nullish(),
  highRisk: z.boolean().nullish(),
});

export const decisionWebhookSchema = z.looseObject({
  status: z.string(),
  verification: verificationSchema,
  technicalData: z.looseObject({ ip: str }).nullish(),
  highRisk: z.boolean().nullish(),
});

export type DecisionWebhook = z.infer<typeof decisionWebhookSchema>;
export type Verification = z.infer<typeof verificationSchema>;
