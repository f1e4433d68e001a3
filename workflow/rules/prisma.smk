# prisma stage: rules come with the prisma module.
