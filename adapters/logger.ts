/** The one structured logger (JSON lines with the request id when a Lambda context is given). */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'cloudprint' });
