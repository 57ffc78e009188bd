/**
 * The parts of ConfigCat's Public Management API answers Ripcord reads (configcat.com/docs/api/reference:
 * "Get settings" v1 and "Get value" v2). Loose objects: ConfigCat adds fields and Ripcord must not break on them.
 */
import * as z from 'zod';

/** One setting of a config, from GET /v1/configs/:configId/settings. */
export const ConfigCatSetting = z.looseObject({
  settingId: z.number(),
  key: z.string(),
  /** boolean (a feature flag), string, int or double. */
  settingType: z.string(),
});
export const ConfigCatSettings = z.array(ConfigCatSetting);

/** A served value (v2 "ValueModel"): one of these is set, by the setting's type. */
const Value = z.looseObject({ boolValue: z.boolean().nullish() }).nullish();

/** A setting's value in one environment, from GET /v2/environments/:environmentId/settings/:settingId/value. */
export const ConfigCatSettingValue = z.looseObject({
  defaultValue: Value,
  targetingRules: z
    .array(
      z.looseObject({
        value: Value,
        percentageOptions: z.array(z.looseObject({ percentage: z.number(), value: Value })).nullish(),
      }),
    )
    .nullish(),
  readOnly: z.boolean().optional(),
  updatedAt: z.string().nullish(),
  lastUpdaterUserEmail: z.string().nullish(),
});
export type ConfigCatSettingValue = z.infer<typeof ConfigCatSettingValue>;

/** ConfigCat's error answers carry a message (JSON `{ message }`, or plain text). */
export const ConfigCatErrorBody = z.looseObject({ message: z.string().optional() });
