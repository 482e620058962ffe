import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * The password rules of a secret CDK generates (`generateSecretString`), as the rotation
 * function's password variables, so a rotated password obeys the same rules as the first
 * one (a database that rejects `"` keeps rejecting it after the first rotation). An
 * imported secret, or one with a literal value, has no rules to pass on: {}.
 */
export function passwordEnvironmentOf(secret: secretsmanager.ISecret): Record<string, string> {
  // `secret.attach(db)` returns the attachment, a child of the generated secret.
  const cfn =
    secret.node.defaultChild instanceof secretsmanager.CfnSecretTargetAttachment
      ? secret.node.scope?.node.defaultChild
      : secret.node.defaultChild;
  if (!(cfn instanceof secretsmanager.CfnSecret)) return {};
  const generate = cfn.generateSecretString;
  if (generate === undefined || Token.isUnresolved(generate)) return {};
  const rules = generate as secretsmanager.CfnSecret.GenerateSecretStringProperty;
  const env: Record<string, string> = {};
  const flag = (name: string, value: boolean | unknown): void => {
    if (typeof value === 'boolean') env[name] = String(value);
  };
  if (typeof rules.passwordLength === 'number') env['PASSWORD_LENGTH'] = String(rules.passwordLength);
  if (typeof rules.excludeCharacters === 'string' && rules.excludeCharacters !== '')
    env['EXCLUDE_CHARACTERS'] = rules.excludeCharacters;
  flag('EXCLUDE_NUMBERS', rules.excludeNumbers);
  flag('EXCLUDE_PUNCTUATION', rules.excludePunctuation);
  flag('EXCLUDE_UPPERCASE', rules.excludeUppercase);
  flag('EXCLUDE_LOWERCASE', rules.excludeLowercase);
  flag('REQUIRE_EACH_INCLUDED_TYPE', rules.requireEachIncludedType);
  return env;
}
