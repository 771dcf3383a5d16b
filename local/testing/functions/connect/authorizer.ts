/** A stand-in authorizer module for the loader test: lets in exactly `Bearer good`. */
export const handler = async (event: { headers: Record<string, string>; methodArn: string }) => {
  const auth = event.headers.Authorization ?? event.headers.authorization;
  if (auth !== 'Bearer good') throw new Error('Unauthorized');
  return {
    principalId: 'printer',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { printerId: 'P1' },
  };
};
