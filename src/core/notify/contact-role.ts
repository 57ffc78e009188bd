/** Who, from the runbook's Contacts table (config `contacts`): a leaf, so messages and steps share it. */
import * as z from 'zod';

export const ContactRole = z.enum(['onCall', 'platformLead', 'dba', 'security']);
export type ContactRole = z.infer<typeof ContactRole>;
