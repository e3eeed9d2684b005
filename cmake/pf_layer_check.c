/* The program every layer check links (cmake/PreforkdLayers.cmake): it
 * runs nothing; linking it is the check. */
int main(void)
{
    return 0;
}
